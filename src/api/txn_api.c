/*
 * txn_api.c — concurrent transactions (include/nqdb.h, "concurrent transactions";
 * docs/transactions.md): snapshots, private write sets, merged reads, merge cursors,
 * first-committer-wins, SERIALIZABLE read-set validation, the commit, key claims.
 *
 * A concurrent transaction (api_ctxn) reads one snapshot (a read pager transaction, shared
 * with its cursors through api_snap) and keeps its writes in a write set (src/txn/writeset.h).
 * Every read of the connection merges the write set over the snapshot: a key in the write set
 * wins (a tombstone hides the tree's entry), any other key comes from the snapshot.
 *
 * Conflicts. The engine's committed-write log (src/txn/committed_writes.h) knows, for every
 * key written by a recent commit, that commit's seq. A write of a key that a transaction
 * committed after our snapshot is a lost update: REPEATABLE READ and SERIALIZABLE fail with
 * NQ_ESERIALIZE (and the transaction is rolled back), READ COMMITTED with NQ_ECONFLICT (the
 * statement is redone on a new snapshot by the SQL layer). The same check runs again at
 * commit for every written key.
 *
 * Locks (src/txn/lockmgr.h, one owner per transaction, made at its first lock, held to the
 * end). The first write takes "d" (the database) in ROW EXCLUSIVE; every write first takes
 * NQ_LOCK_ROW_UPDATE_KEY on "r" ‖ tree ‖ 0 ‖ key, so a second writer of the key waits for the
 * first to end, and only then checks the committed-write log: after a commit of the first it
 * fails as above, after a rollback it goes on. Exclusive transactions (nq_begin(NQ_TXN_WRITE),
 * autocommit writes) take "d" in ACCESS EXCLUSIVE before the pager's writer role: they wait
 * for the concurrent writers to end, and no concurrent writer starts while they run. A
 * concurrent transaction holds the writer role only inside its commit, never while it waits
 * for a lock, so lock waits and the writer role cannot deadlock. NQ_EDEADLOCK rolls the
 * transaction back; NQ_ELOCKTIMEOUT (lock_timeout_ms, NQ_LOCK_NOWAIT) fails the call only.
 *
 * Commit: take the pager's writer role (a write pager transaction: the short critical
 * section), check the schema cookie, re-check the written keys and (SERIALIZABLE) the read
 * set against commits after the snapshot, apply the write set with btree_put/btree_del in key
 * order, store sequence values as max(stored, ours), record the written keys in the
 * committed-write log under the commit's seq, and pager_commit (group commit). A read-only
 * transaction commits without any of this, so it never fails.
 *
 * Exclusive upgrade (ctxn_upgrade: nq_txn_exclusive, tree create/drop through
 * api_txn_begin(write), a write set over eng->ws_budget): "d" ACCESS EXCLUSIVE (upgrading our
 * ROW EXCLUSIVE: waits for the other writers), the writer role, the commit's validation, the
 * write set applied into the write pager transaction, which becomes db->txn; locks stay, merge
 * cursors become B-tree cursors of it.
 *
 * SERIALIZABLE is snapshot isolation with commit-time read-set validation (backward OCC):
 * the read set holds every key a read looked up (found or not) and every key range a cursor
 * walked; a transaction that committed after our snapshot and wrote inside it makes our
 * commit fail. The serial order is the commit order.
 */
#include "api_int.h"
#include "txn/lockmgr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XKEYS_MAX ((size_t)64 << 20) /* an exclusive transaction's recorded keys, at most */

/* ---- messages ------------------------------------------------------------------------------ */

/* A key as users read it: "text" when printable, x'hex' otherwise, truncated. */
static void key_repr(char *out, size_t n, const void *key, size_t kl, size_t shown)
{
    const uint8_t *k = key;
    size_t m = kl < shown ? kl : shown;
    if (m > 32)
        m = 32;
    int printable = 1;
    for (size_t i = 0; i < m; i++)
        if (!isprint(k[i]) || k[i] == '"')
            printable = 0;
    size_t o = 0;
    if (printable) {
        o += (size_t)snprintf(out + o, n - o, "\"");
        for (size_t i = 0; i < m && o + 2 < n; i++)
            out[o++] = (char)k[i];
        out[o] = 0;
        o += (size_t)snprintf(out + o, n - o, "%s\"", kl > m ? "..." : "");
    } else {
        o += (size_t)snprintf(out + o, n - o, "x'");
        for (size_t i = 0; i < m && o + 3 < n; i++)
            o += (size_t)snprintf(out + o, n - o, "%02x", k[i]);
        snprintf(out + o, n - o, "%s'", kl > m ? "..." : "");
    }
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static int snap_new(nq_db *db, api_snap **out)
{
    api_snap *s = calloc(1, sizeof *s);
    if (!s)
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    int rc = pager_begin(db->eng->pager, 0, 0, &s->t, &db->err);
    if (rc) {
        free(s);
        return rc;
    }
    s->seq = pager_txn_seq(s->t);

    s->refs = 1;
    *out = s;
    return 0;
}

static void snap_release(api_snap *s)
{
    if (s && --s->refs == 0) {
        pager_rollback(s->t);
        free(s);
    }
}

/* ---- begin / end ------------------------------------------------------------------------------ */

static void set_info(nq_db *db, uint64_t id, int mode, int iso, uint64_t snap)
{
    pthread_mutex_lock(&db->info_mu);
    db->info.txid = id;
    db->info.mode = mode;
    db->info.isolation = iso;
    db->info.snapshot_seq = snap;
    __atomic_store_n(&db->info.writes, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&db->info_mu);
}

static uint64_t new_txid(nq_db *db)
{
    return __atomic_add_fetch(&db->eng->next_txid, 1, __ATOMIC_RELAXED);
}

/* ---- locks ------------------------------------------------------------------------------------ */

static unsigned deadlock_ms(const nq_engine *eng)
{
    return eng->opts.deadlock_timeout_ms ? eng->opts.deadlock_timeout_ms : 1000;
}

/* The transaction's lock owner, made at its first lock. */
static int owner_get(nq_db *db)
{
    if (db->lo)
        return 0;
    lm_owner *o = lm_owner_begin(db->eng->lm, db->info.txid);
    if (!o)
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    pthread_mutex_lock(&db->info_mu);
    db->lo = o;
    pthread_mutex_unlock(&db->info_mu);
    return 0;
}

/* Release every lock of the transaction. */
static void owner_end(nq_db *db)
{
    lm_owner *o = db->lo;
    if (!o)
        return;
    pthread_mutex_lock(&db->info_mu);
    db->lo = NULL;
    pthread_mutex_unlock(&db->info_mu);
    lm_owner_end(o);
}

static int lock_obj(nq_db *db, const void *obj, size_t len, int mode, const char *what,
                    unsigned timeout_ms)
{
    int rc = owner_get(db);
    if (!rc)
        rc = lm_lock(db->lo, obj, len, mode, what, timeout_ms, deadlock_ms(db->eng),
                     &db->interrupted, &db->err);
    return rc;
}

/* The row lock object "r" ‖ tree ‖ 0 ‖ key and its description. */
typedef struct rowobj {
    uint8_t buf[NQ_MAX_KEY + 260];
    size_t len;
    char what[256];
} rowobj;

static void key_repr(char *out, size_t n, const void *key, size_t kl, size_t shown);
static int keybuf_add(uint8_t **buf, size_t *n, size_t *cap, const char *tree, const void *key,
                      size_t klen);
static const char *keybuf_next(const uint8_t *buf, size_t *o, const void **key, size_t *klen);

static void row_obj(rowobj *r, const char *tree, const void *key, size_t klen)
{
    size_t tl = strlen(tree);
    r->buf[0] = 'r';
    memcpy(r->buf + 1, tree, tl + 1);
    if (klen > NQ_MAX_KEY)
        klen = NQ_MAX_KEY; /* longer keys are refused before any lock */
    memcpy(r->buf + tl + 2, key, klen);
    r->len = tl + 2 + klen;
    char k[128];
    key_repr(k, sizeof k, key, klen, klen);
    snprintf(r->what, sizeof r->what, "row %s of \"%s\"", k, tree);
}

int nq_begin_concurrent(nq_db *db, int isolation)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn || db->ct)
        return nq_err_set(&db->err, NQ_EMISUSE, "a transaction is already open");
    if (isolation == NQ_ISO_DEFAULT)
        isolation = db->eng->opts.isolation ? db->eng->opts.isolation : NQ_ISO_READ_COMMITTED;
    if (isolation < NQ_ISO_READ_COMMITTED || isolation > NQ_ISO_SERIALIZABLE)
        return nq_err_set(&db->err, NQ_EINVAL,
                          "isolation %d is not NQ_ISO_READ_COMMITTED, NQ_ISO_REPEATABLE_READ or "
                          "NQ_ISO_SERIALIZABLE",
                          isolation);
    if (db->eng->opts.read_only)
        return nq_err_set(&db->err, NQ_EREADONLY, "database is open read-only");
    api_ctxn *ct = calloc(1, sizeof *ct);
    if (!ct || !(ct->ws = ws_create())) {
        free(ct);
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    }
    int rc = snap_new(db, &ct->snap);
    if (!rc && cw_snapshot_add(db->eng->cw, ct->snap->seq))
        rc = nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    if (rc) {
        if (ct->snap)
            snap_release(ct->snap);
        ws_free(ct->ws);
        free(ct);
        return rc;
    }
    ct->iso = isolation;
    ct->first_seq = ct->snap->seq;
    ct->cookie = pager_meta(ct->snap->t, META_SCHEMA_COOKIE);
    ct->txid = new_txid(db);
    __atomic_add_fetch(&db->eng->n_conc, 1, __ATOMIC_RELAXED);
    db->ct = ct;
    set_info(db, ct->txid, NQ_TXN_CONCURRENT, isolation, ct->snap->seq);
    return 0;
}

/* Flush a merge cursor's walked range into the read set (SERIALIZABLE). */
static void range_flush(nq_cursor *c);
static void range_free(nq_cursor *c);

/* Free the concurrent part of the transaction: its snapshot, write set and read set. */
static void ctxn_free(nq_db *db)
{
    api_ctxn *ct = db->ct;
    for (nq_cursor *c = db->cursors; c; c = c->next)
        if (c->ct == ct && !c->dead) {
            if (c->bc)
                btree_cursor_close(c->bc);
            c->bc = NULL;
            snap_release(c->snap);
            c->snap = NULL;
            c->txn = NULL;
            c->dead = 1;
        }
    nq_engine *eng = db->eng;
    cw_snapshot_remove(eng->cw, ct->first_seq);
    __atomic_sub_fetch(&eng->n_conc, 1, __ATOMIC_RELAXED);
    cw_prune(eng->cw);
    snap_release(ct->snap);
    ws_free(ct->ws);
    for (size_t i = 0; i < ct->nseqs; i++)
        free(ct->seqs[i].tree);
    free(ct->seqs);
    for (size_t i = 0; i < ct->nrs; i++) {
        free(ct->rs[i].tree);
        free(ct->rs[i].lo);
        free(ct->rs[i].hi);
    }
    free(ct->rs);
    free(ct->lwkeys);
    free(ct);
    db->ct = NULL;
}

static void ctxn_end(nq_db *db)
{
    ctxn_free(db);
    owner_end(db); /* after the commit: the next writer of our keys sees it */
    set_info(db, 0, 0, 0, 0);
}

void ctxn_rollback(nq_db *db)
{
    if (db->ct)
        ctxn_end(db);
}

/* Fail the whole transaction with NQ_ESERIALIZE: roll it back, count it, keep the message. */
static int serialize_fail(nq_db *db)
{
    __atomic_add_fetch(&db->eng->n_serialize_fail, 1, __ATOMIC_RELAXED);
    nq_err keep = db->err;
    ctxn_end(db);
    db->err = keep;
    return NQ_ESERIALIZE;
}

/* The committed-write log found a change of key after our snapshot: the message. */
static int conflict_msg(nq_db *db, int code, const char *what, const char *tree, const cw_hit *h)
{
    char k[128];
    key_repr(k, sizeof k, h->key, h->klen, sizeof h->key);
    if (h->txid)
        return nq_err_set(&db->err, code,
                          "could not serialize access due to %s row %s of \"%s\" (transaction "
                          "%llu committed it after the snapshot of transaction %llu)",
                          what, k, tree, (unsigned long long)h->txid,
                          (unsigned long long)db->ct->txid);
    return nq_err_set(&db->err, code,
                      "could not serialize access due to %s row %s of \"%s\" (an exclusive "
                      "transaction changed the database after the snapshot of transaction %llu)",
                      what, k, tree, (unsigned long long)db->ct->txid);
}

/* ---- the write path ---------------------------------------------------------------------------- */

/* Resolve a tree handle within the transaction's current snapshot; a read or write (touch)
 * fixes a REPEATABLE READ transaction's snapshot. */
static int tree_snap_touch(nq_tree *tr, int touch)
{
    nq_db *db = tr->db;
    nq_err_clear(&db->err);
    if (touch)
        db->ct->touched = 1;
    int rc = api_tree_resolve(tr, db->ct->snap->t);
    if (rc)
        return api_fail(db, db->ct->snap->t, rc);
    return 0;
}

static int tree_snap(nq_tree *tr) { return tree_snap_touch(tr, 1); }

/* A lock request of a concurrent transaction failed: a deadlock victim is rolled back. */
static int lock_fail(nq_db *db, int rc)
{
    if (rc == NQ_EDEADLOCK) {
        nq_err keep = db->err;
        ctxn_end(db);
        db->err = keep;
    }
    return rc;
}

/* Before writing (or locking, in mode) key of tr: "d" and the schema check at the first
 * write, the row lock, then first-committer-wins against the current snapshot. */
static int write_check(nq_tree *tr, const void *key, size_t klen, int mode)
{
    nq_db *db = tr->db;
    api_ctxn *ct = db->ct;
    int rc;
    if (!ct->wrote) {
        rc = lock_obj(db, "d", 1, NQ_LOCK_ROW_EXCLUSIVE, "database", db->eng->opts.lock_timeout_ms);
        if (rc)
            return lock_fail(db, rc);
        pager_txn *now;
        rc = pager_begin(db->eng->pager, 0, 0, &now, &db->err);
        if (rc)
            return rc;
        uint64_t cookie = pager_meta(now, META_SCHEMA_COOKIE);
        pager_rollback(now);
        if (cookie != ct->cookie) {
            nq_err_set(&db->err, NQ_ESERIALIZE,
                       "could not serialize access: the schema changed since the snapshot of "
                       "transaction %llu",
                       (unsigned long long)ct->txid);
            return serialize_fail(db);
        }
        ct->wrote = 1;
    }
    /* a key already in the write set is locked already (rollback to a mark keeps locks) */
    if (mode != NQ_LOCK_ROW_UPDATE_KEY ||
        ws_find(ws_tree_get(ct->ws, tr->name, 0), key, klen, NULL, NULL) == WS_ABSENT) {
        rowobj r;
        row_obj(&r, tr->name, key, klen);
        rc = lock_obj(db, r.buf, r.len, mode, r.what, db->eng->opts.lock_timeout_ms);
        if (rc)
            return lock_fail(db, rc);
    }
    cw_hit h;
    if (cw_changed(db->eng->cw, ct->snap->seq, tr->name, key, klen, &h)) {
        if (ct->iso == NQ_ISO_READ_COMMITTED)
            return conflict_msg(db, NQ_ECONFLICT, "concurrent update of", tr->name, &h);
        conflict_msg(db, NQ_ESERIALIZE, "concurrent update of", tr->name, &h);
        return serialize_fail(db);
    }
    return 0;
}

/* SERIALIZABLE: remember that key of tree was looked up (lo..hi; NULL: unbounded). */
static void read_range(api_ctxn *ct, const char *tree, const void *lo, size_t lol, const void *hi,
                       size_t hil)
{
    if (ct->iso != NQ_ISO_SERIALIZABLE)
        return;
    if (ct->nrs == ct->crs) {
        size_t nc = ct->crs ? ct->crs * 2 : 16;
        api_range *nr = realloc(ct->rs, nc * sizeof *nr);
        if (!nr)
            goto oom;
        ct->rs = nr;
        ct->crs = nc;
    }
    api_range *r = &ct->rs[ct->nrs];
    memset(r, 0, sizeof *r);
    r->tree = strdup(tree);
    if (!r->tree)
        goto oom;
    if (lo) {
        r->lo = malloc(lol ? lol : 1);
        if (!r->lo) {
            free(r->tree);
            goto oom;
        }
        memcpy(r->lo, lo, lol);
        r->lol = lol;
    }
    if (hi) {
        r->hi = malloc(hil ? hil : 1);
        if (!r->hi) {
            free(r->tree);
            free(r->lo);
            goto oom;
        }
        memcpy(r->hi, hi, hil);
        r->hil = hil;
    }
    ct->nrs++;
    return;
oom:
    /* cannot remember the read: remember "everything of every tree" by an empty tree name,
     * which validation treats as the whole database */
    if (ct->nrs && ct->rs[0].tree && !ct->rs[0].tree[0])
        return;
    if (ct->nrs == ct->crs)
        ct->nrs--; /* drop the last one to make room: the whole-database range covers it */
    ct->rs[ct->nrs].tree = NULL;
    ct->nrs++;
}

/* The merged lookup: 1 found (value copied if val), 0 not found, or a negative code. */
static int merged_get(nq_tree *tr, const void *key, size_t klen, void **val, size_t *vlen)
{
    nq_db *db = tr->db;
    api_ctxn *ct = db->ct;
    read_range(ct, tr->name, key, klen, key, klen);
    const void *v;
    size_t vl;
    int st = ws_find(ws_tree_get(ct->ws, tr->name, 0), key, klen, &v, &vl);
    if (st == WS_TOMB)
        return 0;
    if (st == WS_VALUE) {
        if (val) {
            void *copy = malloc(vl ? vl : 1);
            if (!copy)
                return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
            memcpy(copy, v, vl);
            *val = copy;
            *vlen = vl;
        }
        return 1;
    }
    pager_txn *t = ct->snap->t;
    int rc = btree_get(t, tr->root, key, klen, val, vlen);
    if (rc == NQ_ENOTFOUND) {
        nq_err_clear(pager_txn_err(t));
        return 0;
    }
    if (rc)
        return api_fail(db, t, rc);
    return 1;
}

static int ws_oom(nq_db *db)
{
    return nq_err_set(&db->err, NQ_ENOMEM, "out of memory (write set of transaction %llu)",
                      (unsigned long long)db->ct->txid);
}

int ctxn_put(nq_tree *tr, const void *key, size_t klen, const void *val, size_t vlen, int flags)
{
    nq_db *db = tr->db;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    if (klen == 0)
        return nq_err_set(&db->err, NQ_EINVAL, "empty key");
    if (flags & ~NQ_PUT_NOOVERWRITE)
        return nq_err_set(&db->err, NQ_EINVAL, "unknown flags 0x%x", flags);
    size_t maxk = btree_max_key(db->eng->pager);
    if (klen > maxk)
        return nq_err_set(&db->err, NQ_ETOOBIG, "key of %zu bytes is longer than %zu", klen, maxk);
    if (vlen > BTREE_MAX_VALUE)
        return nq_err_set(&db->err, NQ_ETOOBIG, "value of %zu bytes is longer than %u", vlen,
                          BTREE_MAX_VALUE);
    if ((rc = write_check(tr, key, klen, NQ_LOCK_ROW_UPDATE_KEY)))
        return rc;
    if (flags & NQ_PUT_NOOVERWRITE) {
        rc = merged_get(tr, key, klen, NULL, NULL);
        if (rc < 0)
            return rc;
        if (rc == 1)
            return nq_err_set(&db->err, NQ_EEXIST, "key exists");
    }
    ws_tree *wt = ws_tree_get(db->ct->ws, tr->name, 1);
    if (!wt || ws_put(db->ct->ws, wt, key, klen, val, vlen))
        return ws_oom(db);
    __atomic_store_n(&db->info.writes, ws_count(db->ct->ws), __ATOMIC_RELAXED);
    if (ws_bytes(db->ct->ws) > db->eng->ws_budget)
        return ctxn_upgrade(db); /* too large to keep in memory: go on as the exclusive writer */
    return 0;
}

int ctxn_get(nq_tree *tr, const void *key, size_t klen, void **val, size_t *vlen)
{
    nq_db *db = tr->db;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    rc = merged_get(tr, key, klen, val, vlen);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return nq_err_set_str(&db->err, NQ_ENOTFOUND, "key not found");
    return 0;
}

int ctxn_del(nq_tree *tr, const void *key, size_t klen)
{
    nq_db *db = tr->db;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    rc = merged_get(tr, key, klen, NULL, NULL);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return nq_err_set_str(&db->err, NQ_ENOTFOUND, "key not found");
    if ((rc = write_check(tr, key, klen, NQ_LOCK_ROW_UPDATE_KEY)))
        return rc;
    ws_tree *wt = ws_tree_get(db->ct->ws, tr->name, 1);
    if (!wt || ws_del(db->ct->ws, wt, key, klen))
        return ws_oom(db);
    __atomic_store_n(&db->info.writes, ws_count(db->ct->ws), __ATOMIC_RELAXED);
    return 0;
}

int ctxn_count(nq_tree *tr, uint64_t *out)
{
    nq_db *db = tr->db;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    pager_txn *t = db->ct->snap->t;
    uint64_t n = 0;
    if ((rc = btree_count(t, tr->root, &n)))
        return api_fail(db, t, rc);
    read_range(db->ct, tr->name, NULL, 0, NULL, 0);
    ws_tree *wt = ws_tree_get(db->ct->ws, tr->name, 0);
    for (ws_node *w = ws_first(wt); w; w = ws_next(w)) {
        size_t kl;
        const void *k = ws_node_key(w, &kl);
        rc = btree_get(t, tr->root, k, kl, NULL, NULL);
        if (rc && rc != NQ_ENOTFOUND)
            return api_fail(db, t, rc);
        int in_tree = rc == 0;
        nq_err_clear(pager_txn_err(t));
        if (ws_node_state(w) == WS_VALUE && !in_tree)
            n++;
        else if (ws_node_state(w) == WS_TOMB && in_tree)
            n--;
    }
    *out = n;
    return 0;
}

int ctxn_estimate(nq_tree *tr, uint64_t *out)
{
    nq_db *db = tr->db;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    pager_txn *t = db->ct->snap->t;
    uint64_t n = 0;
    if ((rc = btree_estimate(t, tr->root, &n)))
        return api_fail(db, t, rc);
    /* the write set's entries as if all were new (values) or present (tombstones) */
    uint64_t add = 0, sub = 0;
    ws_tree *wt = ws_tree_get(db->ct->ws, tr->name, 0);
    for (ws_node *w = ws_first(wt); w; w = ws_next(w))
        ws_node_state(w) == WS_VALUE ? add++ : sub++;
    n += add;
    *out = n > sub ? n - sub : 0;
    return 0;
}

int ctxn_seq_next(nq_tree *tr, uint64_t *out)
{
    nq_db *db = tr->db;
    api_ctxn *ct = db->ct;
    int rc = tree_snap(tr);
    if (rc)
        return rc;
    uint32_t root;
    uint64_t committed = 0;
    pager_txn *t = ct->snap->t;
    if ((rc = api_catalog_get(t, tr->name, &root, &committed)))
        return api_fail(db, t, rc);
    api_seqval *sv = NULL;
    for (size_t i = 0; i < ct->nseqs; i++)
        if (strcmp(ct->seqs[i].tree, tr->name) == 0)
            sv = &ct->seqs[i];
    if (!sv) {
        api_seqval *ns = realloc(ct->seqs, (ct->nseqs + 1) * sizeof *ns);
        if (!ns)
            return ws_oom(db);
        ct->seqs = ns;
        sv = &ns[ct->nseqs];
        if (!(sv->tree = strdup(tr->name)))
            return ws_oom(db);
        sv->value = 0;
        ct->nseqs++;
    }
    nq_engine *eng = db->eng;
    pthread_mutex_lock(&eng->mu);
    seq_mark *m = api_seq_mark(eng, root);
    if (m) {
        uint64_t v = (m->value > committed ? m->value : committed) + 1;
        m->value = v;
        *out = v;
    }
    pthread_mutex_unlock(&eng->mu);
    if (!m)
        return ws_oom(db);
    if (*out > sv->value)
        sv->value = *out;
    return 0;
}

/* ---- statements, marks ------------------------------------------------------------------------ */

int nq_txn_statement(nq_db *db)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    api_ctxn *ct = db->ct;
    if (!ct) {
        if (db->txn)
            return 0; /* exclusive and read transactions keep their view */
        return nq_err_set(&db->err, NQ_EMISUSE, "no transaction is open");
    }
    if (ct->iso != NQ_ISO_READ_COMMITTED && ct->touched)
        return 0; /* REPEATABLE READ / SERIALIZABLE: the first statement's snapshot stays */
    api_snap *s;
    int rc = snap_new(db, &s);
    if (rc)
        return rc;
    if (cw_snapshot_add(db->eng->cw, s->seq)) {
        snap_release(s);
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    }
    cw_snapshot_remove(db->eng->cw, ct->first_seq);
    ct->first_seq = s->seq;
    snap_release(ct->snap); /* cursors of earlier statements keep theirs */
    ct->snap = s;
    /* a schema change before our first write is simply seen (after it, "d" keeps DDL out) */
    ct->cookie = pager_meta(s->t, META_SCHEMA_COOKIE);
    pthread_mutex_lock(&db->info_mu);
    db->info.snapshot_seq = s->seq;
    pthread_mutex_unlock(&db->info_mu);
    return 0;
}

int nq_txn_mark(nq_db *db, uint64_t *mark)
{
    *mark = 0;
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn)
        return 0; /* exclusive: marks are 0, rollback is not supported */
    if (!db->ct)
        return nq_err_set(&db->err, NQ_EMISUSE, "no transaction is open");
    *mark = ws_mark(db->ct->ws);
    return 0;
}

int nq_txn_rollback_to(nq_db *db, uint64_t mark)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn)
        return nq_err_set(&db->err, NQ_ENOTSUP,
                          "not supported yet: rolling back to a mark in an exclusive transaction");
    if (!db->ct)
        return nq_err_set(&db->err, NQ_EMISUSE, "no transaction is open");
    ws_rollback_to(db->ct->ws, mark);
    __atomic_store_n(&db->info.writes, ws_count(db->ct->ws), __ATOMIC_RELAXED);
    return 0;
}

/* ---- commit ------------------------------------------------------------------------------------ */

/* Validation under the writer role: 0, or the message set and NQ_ESERIALIZE. */
static int validate(nq_db *db, pager_txn *w)
{
    api_ctxn *ct = db->ct;
    cwlog *cw = db->eng->cw;
    if (pager_meta(w, META_SCHEMA_COOKIE) != ct->cookie)
        return nq_err_set(&db->err, NQ_ESERIALIZE,
                          "could not serialize access: the schema changed since the snapshot of "
                          "transaction %llu",
                          (unsigned long long)ct->txid);
    cw_hit h;
    /* every written key: nobody may have committed it after our snapshot (with row locks
     * this only repeats the check made at the write; READ COMMITTED checks its newest
     * snapshot, which is as new as any of its writes) */
    for (ws_tree *wt = ws_tree_next(ct->ws, NULL); wt; wt = ws_tree_next(ct->ws, wt))
        for (ws_node *n = ws_first(wt); n; n = ws_next(n)) {
            size_t kl;
            const void *k = ws_node_key(n, &kl);
            if (cw_changed(cw, ct->snap->seq, ws_tree_name(wt), k, kl, &h))
                return conflict_msg(db, NQ_ESERIALIZE, "concurrent update of", ws_tree_name(wt),
                                    &h);
        }
    for (size_t o = 0; o < ct->nlw;) { /* keys locked with NQ_LOCK_WRITTEN */
        const void *k;
        size_t kl;
        const char *tree = keybuf_next(ct->lwkeys, &o, &k, &kl);
        if (cw_changed(cw, ct->snap->seq, tree, k, kl, &h))
            return conflict_msg(db, NQ_ESERIALIZE, "concurrent update of", tree, &h);
    }
    if (ct->iso != NQ_ISO_SERIALIZABLE)
        return 0;
    for (nq_cursor *c = db->cursors; c; c = c->next)
        if (c->ct == ct && !c->dead)
            range_flush(c);
    for (size_t i = 0; i < ct->nrs; i++) {
        api_range *r = &ct->rs[i];
        int hit;
        if (!r->tree) { /* out of memory while recording: assume all was read */
            if (cw_changed_range(cw, ct->snap->seq, "", NULL, 0, NULL, 0, &h))
                return conflict_msg(db, NQ_ESERIALIZE, "a concurrent update of", "", &h);
            continue;
        }
        if (r->lo && r->hi && ws_keycmp(r->lo, r->lol, r->hi, r->hil) == 0)
            hit = cw_changed(cw, ct->snap->seq, r->tree, r->lo, r->lol, &h);
        else
            hit = cw_changed_range(cw, ct->snap->seq, r->tree, r->lo, r->lol, r->hi, r->hil, &h);
        if (hit) {
            char k[128];
            key_repr(k, sizeof k, h.key, h.klen, sizeof h.key);
            if (!h.txid)
                return nq_err_set(&db->err, NQ_ESERIALIZE,
                                  "could not serialize access due to read/write dependencies "
                                  "among transactions: an exclusive transaction changed the "
                                  "database after the snapshot of transaction %llu",
                                  (unsigned long long)ct->txid);
            return nq_err_set(&db->err, NQ_ESERIALIZE,
                              "could not serialize access due to read/write dependencies among "
                              "transactions: transaction %llu read row %s of \"%s\", which "
                              "transaction %llu changed and committed after its snapshot",
                              (unsigned long long)ct->txid, k, r->tree,
                              (unsigned long long)h.txid);
        }
    }
    return 0;
}

/* Apply the write set and the sequence values in w. */
static int apply(nq_db *db, pager_txn *w)
{
    api_ctxn *ct = db->ct;
    int rc = 0;
    for (ws_tree *wt = ws_tree_next(ct->ws, NULL); wt && !rc; wt = ws_tree_next(ct->ws, wt)) {
        uint32_t root;
        if ((rc = api_catalog_get(w, ws_tree_name(wt), &root, NULL)))
            break;
        for (ws_node *n = ws_first(wt); n && !rc; n = ws_next(n)) {
            size_t kl, vl;
            const void *k = ws_node_key(n, &kl);
            if (ws_node_state(n) == WS_VALUE) {
                const void *v = ws_node_value(n, &vl);
                rc = btree_put(w, root, k, kl, v, vl, 0);
            } else {
                rc = btree_del(w, root, k, kl);
                if (rc == NQ_ENOTFOUND) { /* deleted by us after a write of our own */
                    nq_err_clear(pager_txn_err(w));
                    rc = 0;
                }
            }
        }
    }
    for (size_t i = 0; i < ct->nseqs && !rc; i++) {
        uint32_t root;
        uint64_t stored;
        rc = api_catalog_get(w, ct->seqs[i].tree, &root, &stored);
        if (!rc && ct->seqs[i].value > stored)
            rc = api_catalog_put(w, ct->seqs[i].tree, root, ct->seqs[i].value, 0);
    }
    return rc;
}

int ctxn_commit(nq_db *db)
{
    api_ctxn *ct = db->ct;
    nq_engine *eng = db->eng;
    if (ws_count(ct->ws) == 0 && ct->nseqs == 0 && ct->nlw == 0) {
        /* read-only: serialises at its snapshot, never fails */
        ctxn_end(db);
        __atomic_add_fetch(&eng->n_conc_commits, 1, __ATOMIC_RELAXED);
        return 0;
    }
    pager_txn *w;
    int rc = pager_begin(eng->pager, 1, eng->opts.busy_timeout_ms, &w, &db->err);
    if (rc) {
        ctxn_end(db);
        return rc;
    }
    rc = validate(db, w);
    if (rc) {
        pager_rollback(w);
        return serialize_fail(db);
    }
    rc = apply(db, w);
    if (rc) {
        api_fail(db, w, rc);
        pager_rollback(w);
        nq_err keep = db->err;
        ctxn_end(db);
        db->err = keep;
        return rc;
    }
    uint64_t seq = pager_txn_seq(w);
    /* a write set that changes nothing (same values) commits nothing: its seq is never
     * published, so it must not enter the log */
    for (ws_tree *wt = ws_tree_next(ct->ws, NULL); wt && pager_txn_mods(w);
         wt = ws_tree_next(ct->ws, wt))
        for (ws_node *n = ws_first(wt); n; n = ws_next(n)) {
            size_t kl;
            const void *k = ws_node_key(n, &kl);
            cw_record(eng->cw, seq, ct->txid, ws_tree_name(wt), k, kl);
        }
    for (size_t o = 0; o < ct->nlw && pager_txn_mods(w);) {
        const void *k;
        size_t kl;
        const char *tree = keybuf_next(ct->lwkeys, &o, &k, &kl);
        cw_record(eng->cw, seq, ct->txid, tree, k, kl);
    }
    rc = pager_commit(w, &db->err);
    nq_err keep = db->err;
    ctxn_end(db);
    db->err = keep;
    if (!rc)
        __atomic_add_fetch(&eng->n_conc_commits, 1, __ATOMIC_RELAXED);
    return rc;
}

/* ---- exclusive transactions and the committed-write log ------------------------------------- */

/* Append tree ‖ 0 ‖ u32 length ‖ key to a key list: 0, or NQ_ENOMEM (also past XKEYS_MAX). */
static int keybuf_add(uint8_t **buf, size_t *n, size_t *cap, const char *tree, const void *key,
                      size_t klen)
{
    size_t tl = strlen(tree), need = tl + 1 + 4 + klen;
    if (*n + need > *cap) {
        size_t nc = *cap ? *cap * 2 : 4096;
        while (nc < *n + need)
            nc *= 2;
        uint8_t *nb = nc <= XKEYS_MAX ? realloc(*buf, nc) : NULL;
        if (!nb)
            return NQ_ENOMEM;
        *buf = nb;
        *cap = nc;
    }
    uint8_t *p = *buf + *n;
    memcpy(p, tree, tl + 1);
    p += tl + 1;
    uint32_t l = (uint32_t)klen;
    memcpy(p, &l, 4);
    memcpy(p + 4, key, klen);
    *n += need;
    return 0;
}

/* The next entry of a key list at *o: its tree, key and length; advances *o. */
static const char *keybuf_next(const uint8_t *buf, size_t *o, const void **key, size_t *klen)
{
    const char *tree = (const char *)buf + *o;
    size_t tl = strlen(tree);
    uint32_t kl;
    memcpy(&kl, buf + *o + tl + 1, 4);
    *key = buf + *o + tl + 5;
    *klen = kl;
    *o += tl + 5 + kl;
    return tree;
}

void api_x_wrote(nq_db *db, const char *tree, const void *key, size_t klen)
{
    if (db->xunknown)
        return;
    if (__atomic_load_n(&db->eng->n_conc, __ATOMIC_RELAXED) == 0) {
        /* nobody could conflict now; one arriving later gets the floor (conservative) */
        db->xunknown = 1;
        return;
    }
    if (keybuf_add(&db->xkeys, &db->nxkeys, &db->cxkeys, tree, key, klen))
        db->xunknown = 1;
}

void api_r_begin(nq_db *db) { set_info(db, new_txid(db), NQ_TXN_READ, 0, 0); }

int api_x_begin(nq_db *db)
{
    set_info(db, new_txid(db), NQ_TXN_WRITE, 0, 0);
    unsigned t = db->eng->opts.busy_timeout_ms;
    int rc = lock_obj(db, "d", 1, NQ_LOCK_ACCESS_EXCLUSIVE, "database", t);
    if (rc == NQ_ELOCKTIMEOUT) /* as when waiting for the writer role: busy */
        nq_err_set(&db->err, rc = NQ_EBUSY, "database is busy: %s", db->err.msg);
    if (rc)
        api_x_end(db);
    return rc;
}

void api_x_end(nq_db *db)
{
    db->nxkeys = 0;
    db->xunknown = 0;
    owner_end(db);
    if (db->info.txid)
        set_info(db, 0, 0, 0, 0);
}

int api_commit_pager(nq_db *db, pager_txn *t)
{
    if (pager_txn_is_write(t) && pager_txn_mods(t)) {
        cwlog *cw = db->eng->cw;
        uint64_t seq = pager_txn_seq(t);
        /* SQL statements write the tree directly (not through nq_put): their keys are not
         * known here */
        if (db->xunknown || db->sql || __atomic_load_n(&db->eng->n_conc, __ATOMIC_RELAXED) == 0) {
            cw_record_unknown(cw, seq);
        } else {
            uint64_t txid = db->info.txid;
            for (size_t o = 0; o < db->nxkeys;) {
                const void *k;
                size_t kl;
                const char *tree = keybuf_next(db->xkeys, &o, &k, &kl);
                cw_record(cw, seq, txid, tree, k, kl);
            }
        }
    }
    /* "d" goes before pager_commit, which releases the writer role and then waits for the
     * group sync: holding "d" through the sync would serialise the syncs of exclusive
     * writers (no group commit). Safe: the keys are in the committed-write log already, and
     * the next exclusive writer still waits for the writer role. */
    api_x_end(db);
    return pager_commit(t, &db->err);
}

/* ---- exclusive mode (next increment) ------------------------------------------------------- */

/* A merge cursor of the upgraded transaction becomes a cursor of its write transaction w, on
 * the entry it was on (or the next one, if that was deleted). */
static void cursor_to_exclusive(nq_cursor *c, pager_txn *w)
{
    range_free(c);
    if (c->bc)
        btree_cursor_close(c->bc);
    c->bc = NULL;
    snap_release(c->snap);
    c->snap = NULL;
    c->ct = NULL;
    c->txn = w;
    int rc = api_tree_resolve(c->tree, w);
    if (!rc)
        rc = btree_cursor_open(w, c->tree->root, &c->bc);
    if (!rc && c->on) {
        rc = btree_cursor_seek(c->bc, c->kb, c->kl, NQ_SEEK_GE);
        if (rc == NQ_ENOTFOUND)
            rc = 0;
    }
    nq_err_clear(pager_txn_err(w));
    free(c->kb);
    free(c->vb);
    c->kb = c->vb = NULL;
    c->kl = c->kcap = 0;
    if (rc) {
        if (c->bc)
            btree_cursor_close(c->bc);
        c->bc = NULL;
        c->dead = 1;
    }
}

int ctxn_upgrade(nq_db *db)
{
    api_ctxn *ct = db->ct;
    nq_engine *eng = db->eng;
    /* "d" ACCESS EXCLUSIVE: an upgrade of our ROW EXCLUSIVE, waiting for the other writers
     * (two transactions upgrading at once are a deadlock: one is the victim) */
    int rc = lock_obj(db, "d", 1, NQ_LOCK_ACCESS_EXCLUSIVE, "database", eng->opts.lock_timeout_ms);
    if (rc)
        return lock_fail(db, rc);
    pager_txn *w;
    rc = pager_begin(eng->pager, 1, eng->opts.busy_timeout_ms, &w, &db->err);
    if (rc)
        return rc;
    if ((rc = validate(db, w))) {
        pager_rollback(w);
        return serialize_fail(db);
    }
    if ((rc = apply(db, w))) {
        api_fail(db, w, rc);
        pager_rollback(w);
        nq_err keep = db->err;
        ctxn_end(db);
        db->err = keep;
        return rc;
    }
    /* from here on an exclusive transaction: its keys go to the committed-write log at
     * commit like any exclusive transaction's */
    for (ws_tree *wt = ws_tree_next(ct->ws, NULL); wt; wt = ws_tree_next(ct->ws, wt))
        for (ws_node *n = ws_first(wt); n; n = ws_next(n)) {
            size_t kl;
            const void *k = ws_node_key(n, &kl);
            api_x_wrote(db, ws_tree_name(wt), k, kl);
        }
    for (size_t o = 0; o < ct->nlw;) {
        const void *k;
        size_t kl;
        const char *tree = keybuf_next(ct->lwkeys, &o, &k, &kl);
        api_x_wrote(db, tree, k, kl);
    }
    for (nq_cursor *c = db->cursors; c; c = c->next)
        if (c->ct == ct && !c->dead)
            cursor_to_exclusive(c, w);
    uint64_t txid = ct->txid;
    int iso = ct->iso;
    ctxn_free(db); /* the locks stay: they are the exclusive transaction's now */
    db->txn = w;
    set_info(db, txid, NQ_TXN_WRITE, iso, pager_txn_seq(w));
    return 0;
}

int nq_txn_exclusive(nq_db *db)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->ct)
        return ctxn_upgrade(db);
    if (db->txn && pager_txn_is_write(db->txn))
        return 0;
    return nq_err_set(&db->err, NQ_EMISUSE, "no concurrent transaction is open");
}

int nq_lock_key(nq_tree *tr, const void *key, size_t klen, int mode)
{
    if (!tr || !tr->db || !tr->db->eng->pager)
        return NQ_EMISUSE;
    nq_db *db = tr->db;
    nq_err_clear(&db->err);
    int base = mode & ~(NQ_LOCK_NOWAIT | NQ_LOCK_WRITTEN);
    if (base != NQ_LOCK_ROW_SHARE_KEY && base != NQ_LOCK_ROW_UPDATE_KEY)
        return nq_err_set(&db->err, NQ_EINVAL,
                          "row lock mode %d is not NQ_LOCK_ROW_SHARE_KEY or NQ_LOCK_ROW_UPDATE_KEY",
                          mode);
    if (!db->ct) {
        /* an exclusive transaction holds the whole database; autocommit would release the
         * lock at once */
        if (db->txn && !pager_txn_is_write(db->txn))
            return nq_err_set(&db->err, NQ_EREADONLY, "row locks in a read transaction");
        if (db->txn && (mode & NQ_LOCK_WRITTEN))
            api_x_wrote(db, tr->name, key, klen);
        return 0;
    }
    if (klen == 0 || klen > btree_max_key(db->eng->pager))
        return nq_err_set(&db->err, NQ_EINVAL, "key length %zu out of range", klen);
    int rc = tree_snap_touch(tr, 0); /* locks do not fix the snapshot */
    if (!rc)
        rc = write_check(tr, key, klen, mode & ~NQ_LOCK_WRITTEN);
    if (!rc && (mode & NQ_LOCK_WRITTEN) &&
        keybuf_add(&db->ct->lwkeys, &db->ct->nlw, &db->ct->clw, tr->name, key, klen))
        rc = ws_oom(db);
    return rc;
}

int nq_lock_name(nq_db *db, const char *name, int mode)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    int base = mode & ~NQ_LOCK_NOWAIT;
    if (base < NQ_LOCK_ACCESS_SHARE || base > NQ_LOCK_ACCESS_EXCLUSIVE)
        return nq_err_set(&db->err, NQ_EINVAL, "table lock mode %d is not one of NQ_LOCK_ACCESS_SHARE "
                          "... NQ_LOCK_ACCESS_EXCLUSIVE", mode);
    if (!name || !*name || strlen(name) > 255)
        return nq_err_set(&db->err, NQ_EINVAL, "lock name must be 1..255 bytes");
    if (!db->ct) {
        if (db->txn && pager_txn_is_write(db->txn))
            return 0; /* the exclusive transaction holds the whole database */
        return nq_err_set(&db->err, NQ_EMISUSE, "table locks need a concurrent transaction");
    }
    uint8_t obj[260];
    size_t nl = strlen(name);
    obj[0] = 't';
    memcpy(obj + 1, name, nl);
    char what[300];
    snprintf(what, sizeof what, "table \"%s\"", name);
    int rc = lock_obj(db, obj, nl + 1, mode, what, db->eng->opts.lock_timeout_ms);
    return rc ? lock_fail(db, rc) : 0;
}

/* ---- key claims -------------------------------------------------------------------------------- */

int nq_key_claim(nq_tree *tr, int64_t floor, int64_t *out)
{
    *out = 0;
    if (!tr || !tr->db || !tr->db->eng->pager)
        return NQ_EMISUSE;
    nq_db *db = tr->db;
    pager_txn *t;
    int ac, rc = api_txn_begin(db, 0, &t, &ac);
    if (rc)
        return rc;
    rc = api_tree_resolve(tr, t);
    api_txn_end(db, t, ac, rc);
    if (rc)
        return rc;
    nq_engine *eng = db->eng;
    pthread_mutex_lock(&eng->mu);
    seq_mark *m = NULL;
    for (size_t i = 0; i < eng->nclaims; i++)
        if (eng->claims[i].root == tr->root)
            m = &eng->claims[i];
    if (!m && eng->nclaims == eng->cclaims) {
        size_t nc = eng->cclaims ? eng->cclaims * 2 : 8;
        seq_mark *nm = realloc(eng->claims, nc * sizeof *nm);
        if (nm) {
            eng->claims = nm;
            eng->cclaims = nc;
        }
    }
    if (!m && eng->nclaims < eng->cclaims) {
        m = &eng->claims[eng->nclaims++];
        m->root = tr->root;
        m->value = 0;
    }
    if (m) {
        int64_t last = (int64_t)m->value;
        int64_t v = (floor > last ? floor : last);
        if (v == INT64_MAX) {
            rc = nq_err_set(&db->err, NQ_ETOOBIG, "no integer key left above %lld in \"%s\"",
                            (long long)v, tr->name);
        } else {
            m->value = (uint64_t)(v + 1);
            *out = v + 1;
        }
    } else {
        rc = nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&eng->mu);
    return rc;
}

/* ---- monitoring -------------------------------------------------------------------------------- */

int nq_txn_info_get(nq_db *db, nq_txn_info *out)
{
    memset(out, 0, sizeof *out);
    if (!db)
        return NQ_EMISUSE;
    /* another thread may ask: every field is kept under info_mu (writes: atomic) */
    pthread_mutex_lock(&db->info_mu);
    out->txid = db->info.txid;
    out->mode = db->info.mode;
    out->isolation = db->info.isolation;
    out->snapshot_seq = db->info.snapshot_seq;
    out->writes = __atomic_load_n(&db->info.writes, __ATOMIC_RELAXED);
    out->waiting = db->lo ? lm_waiting(db->lo) : 0;
    pthread_mutex_unlock(&db->info_mu);
    return 0;
}

/* ---- merge cursors ----------------------------------------------------------------------------- */
/*
 * Position: the current key (kb) and a B-tree cursor on the snapshot. Invariant: when the
 * current key is in the snapshot's tree, the B-tree cursor is on it. A step forward moves the
 * B-tree cursor to the first key > the current one (it usually is there already, or one step
 * away) and seeks the write set's first key > the current one (O(log n) in the write set, so
 * writes between steps are always seen), then takes the smaller, skipping tombstones and
 * the tree entries they hide. Backward is the mirror image.
 */

static ws_tree *cur_wt(nq_cursor *c) { return ws_tree_get(c->ct->ws, c->tree->name, 0); }

static int set_key(nq_cursor *c, const void *k, size_t kl)
{
    if (kl > c->kcap) {
        size_t nc = kl < 64 ? 64 : kl;
        uint8_t *nb = realloc(c->kb, nc);
        if (!nb)
            return nq_err_set(&c->tree->db->err, NQ_ENOMEM, "out of memory");
        c->kb = nb;
        c->kcap = nc;
    }
    memcpy(c->kb, k, kl);
    c->kl = kl;
    c->on = 1;
    return 0;
}

static int bt_step(nq_cursor *c, int dir)
{
    int rc = dir > 0 ? btree_cursor_next(c->bc) : btree_cursor_prev(c->bc);
    if (rc == NQ_ENOTFOUND) {
        c->bt_end = dir;
        return 0;
    }
    c->bt_end = 0;
    return rc;
}

static int bt_seek(nq_cursor *c, const void *k, size_t kl, int how)
{
    int rc = btree_cursor_seek(c->bc, k, kl, how);
    if (rc == NQ_ENOTFOUND) {
        c->bt_end = how == NQ_SEEK_LE ? -1 : 1;
        return 0;
    }
    c->bt_end = 0;
    return rc;
}

/* The B-tree cursor to the first key > k (strict) or >= k; dir -1: the last key < / <= k. */
static int bt_toward(nq_cursor *c, const void *k, size_t kl, int dir, int strict)
{
    if (btree_cursor_valid(c->bc)) {
        size_t bl;
        const void *bk = btree_cursor_key(c->bc, &bl);
        int cmp = ws_keycmp(bk, bl, k, kl) * dir;
        if (cmp > 0 || (cmp == 0 && !strict))
            return 0;
        if (cmp == 0)
            return bt_step(c, dir);
    } else if (c->bt_end == dir) {
        return 0; /* ran off this end already: nothing further that way */
    }
    int rc = bt_seek(c, k, kl, dir > 0 ? NQ_SEEK_GE : NQ_SEEK_LE);
    if (rc || !strict || !btree_cursor_valid(c->bc))
        return rc;
    size_t bl;
    const void *bk = btree_cursor_key(c->bc, &bl);
    if (ws_keycmp(bk, bl, k, kl) == 0)
        return bt_step(c, dir);
    return 0;
}

/* Choose the entry from the B-tree cursor and the write-set node wn, in direction dir. */
static int settle(nq_cursor *c, ws_node *wn, int dir)
{
    for (;;) {
        size_t bl = 0, wl = 0;
        const void *bk = btree_cursor_valid(c->bc) ? btree_cursor_key(c->bc, &bl) : NULL;
        const void *wk = wn ? ws_node_key(wn, &wl) : NULL;
        if (!bk && !wk) {
            c->on = 0;
            return NQ_ENOTFOUND;
        }
        int cmp = !bk ? 1 : !wk ? -1 : ws_keycmp(bk, bl, wk, wl) * dir;
        if (cmp < 0)
            return set_key(c, bk, bl);
        if (ws_node_state(wn) == WS_VALUE)
            return set_key(c, wk, wl);
        if (cmp == 0) { /* a tombstone hides the tree's entry */
            int rc = bt_step(c, dir);
            if (rc) {
                c->on = 0;
                return rc;
            }
        }
        wn = dir > 0 ? ws_next(wn) : ws_prev(wn);
    }
}

/* SERIALIZABLE read ranges of a cursor */
static void range_free(nq_cursor *c)
{
    free(c->r_lo);
    free(c->r_hi);
    c->r_lo = c->r_hi = NULL;
    c->r_open = 0;
}

static void range_flush(nq_cursor *c)
{
    if (!c->r_open)
        return;
    read_range(c->ct, c->tree->name, c->r_lo_inf ? NULL : c->r_lo, c->r_lol,
               c->r_hi_inf ? NULL : c->r_hi, c->r_hil);
    range_free(c);
}

static void bound_set(uint8_t **b, size_t *bl, const void *k, size_t kl)
{
    uint8_t *nb = realloc(*b, kl ? kl : 1);
    if (!nb)
        return; /* keeps the older (narrower) bound: handled by the range_start fallback */
    memcpy(nb, k, kl);
    *b = nb;
    *bl = kl;
}

/* A new walk starts: [lo, hi] (NULL: unbounded). */
static void range_start(nq_cursor *c, const void *lo, size_t lol, const void *hi, size_t hil)
{
    if (c->ct->iso != NQ_ISO_SERIALIZABLE || c->norecord)
        return;
    range_flush(c);
    c->r_open = 1;
    c->r_lo_inf = !lo;
    c->r_hi_inf = !hi;
    if (lo)
        bound_set(&c->r_lo, &c->r_lol, lo, lol);
    if (hi)
        bound_set(&c->r_hi, &c->r_hil, hi, hil);
    if ((lo && !c->r_lo) || (hi && !c->r_hi))
        c->r_lo_inf = c->r_hi_inf = 1; /* out of memory: the whole tree */
}

/* The walk reached the current key (or, when the move found nothing, the end dir). */
static void range_cover(nq_cursor *c, int rc, int dir)
{
    if (c->ct->iso != NQ_ISO_SERIALIZABLE || !c->r_open)
        return;
    if (rc == NQ_ENOTFOUND || !c->on) {
        if (dir > 0)
            c->r_hi_inf = 1;
        else
            c->r_lo_inf = 1;
        return;
    }
    if (!c->r_lo_inf && (!c->r_lo || ws_keycmp(c->kb, c->kl, c->r_lo, c->r_lol) < 0))
        bound_set(&c->r_lo, &c->r_lol, c->kb, c->kl);
    if (!c->r_hi_inf && (!c->r_hi || ws_keycmp(c->kb, c->kl, c->r_hi, c->r_hil) > 0))
        bound_set(&c->r_hi, &c->r_hil, c->kb, c->kl);
}

static int mcur_rc(nq_cursor *c, int rc)
{
    nq_db *db = c->tree->db;
    if (rc && rc != NQ_ENOTFOUND)
        c->on = 0;
    if (rc == NQ_ENOTFOUND)
        return nq_err_set_str(&db->err, rc, "no entry there");
    if (rc && c->txn)
        return api_fail(db, c->txn, rc);
    return rc;
}

int mcur_open(nq_cursor *c)
{
    (void)c;
    return 0;
}

void mcur_close(nq_cursor *c)
{
    if (!c->dead && c->ct && c->tree->db->ct == c->ct)
        range_flush(c);
    range_free(c);
    if (!c->dead && c->snap)
        snap_release(c->snap);
    c->snap = NULL;
    free(c->kb);
    free(c->vb);
}

int mcur_first(nq_cursor *c)
{
    nq_err_clear(&c->tree->db->err);
    c->bt_end = 0;
    int rc = btree_cursor_first(c->bc);
    if (rc == NQ_ENOTFOUND)
        c->bt_end = 1, rc = 0;
    if (!rc)
        rc = settle(c, ws_first(cur_wt(c)), 1);
    range_start(c, NULL, 0, c->on ? c->kb : NULL, c->kl);
    range_cover(c, rc, 1);
    return mcur_rc(c, rc);
}

int mcur_last(nq_cursor *c)
{
    nq_err_clear(&c->tree->db->err);
    c->bt_end = 0;
    int rc = btree_cursor_last(c->bc);
    if (rc == NQ_ENOTFOUND)
        c->bt_end = -1, rc = 0;
    if (!rc)
        rc = settle(c, ws_last(cur_wt(c)), -1);
    range_start(c, c->on ? c->kb : NULL, c->kl, NULL, 0);
    range_cover(c, rc, -1);
    return mcur_rc(c, rc);
}

static int step(nq_cursor *c, int dir)
{
    nq_err_clear(&c->tree->db->err);
    if (!c->on)
        return mcur_rc(c, NQ_ENOTFOUND);
    int rc = bt_toward(c, c->kb, c->kl, dir, 1);
    if (!rc)
        rc = settle(c, ws_seek(cur_wt(c), c->kb, c->kl, dir > 0 ? WS_GT : WS_LT), dir);
    range_cover(c, rc, dir);
    return mcur_rc(c, rc);
}

int mcur_next(nq_cursor *c) { return step(c, 1); }
int mcur_prev(nq_cursor *c) { return step(c, -1); }

int mcur_seek(nq_cursor *c, const void *key, size_t klen, int how)
{
    nq_err_clear(&c->tree->db->err);
    int rc;
    c->bt_end = 0;
    if (how == NQ_SEEK_EQ) {
        range_start(c, key, klen, key, klen);
        int st = ws_find(cur_wt(c), key, klen, NULL, NULL);
        c->on = 0;
        if (st == WS_TOMB)
            return mcur_rc(c, NQ_ENOTFOUND);
        rc = bt_seek(c, key, klen, st == WS_VALUE ? NQ_SEEK_GE : NQ_SEEK_EQ);
        if (rc)
            return mcur_rc(c, rc);
        if (st == WS_VALUE)
            return mcur_rc(c, set_key(c, key, klen));
        if (!btree_cursor_valid(c->bc))
            return mcur_rc(c, NQ_ENOTFOUND);
        return mcur_rc(c, set_key(c, key, klen));
    }
    int dir = how == NQ_SEEK_LE ? -1 : 1;
    rc = bt_seek(c, key, klen, how);
    if (!rc)
        rc = settle(c, ws_seek(cur_wt(c), key, klen, dir > 0 ? WS_GE : WS_LE), dir);
    if (dir > 0)
        range_start(c, key, klen, c->on ? c->kb : NULL, c->kl);
    else
        range_start(c, c->on ? c->kb : NULL, c->kl, key, klen);
    range_cover(c, rc, dir);
    return mcur_rc(c, rc);
}

int mcur_valid(const nq_cursor *c)
{
    if (!c->on)
        return 0;
    int st = ws_find(ws_tree_get(c->ct->ws, c->tree->name, 0), c->kb, c->kl, NULL, NULL);
    if (st != WS_ABSENT)
        return st == WS_VALUE;
    if (!btree_cursor_valid(c->bc))
        return 0;
    size_t bl;
    const void *bk = btree_cursor_key(c->bc, &bl);
    return ws_keycmp(bk, bl, c->kb, c->kl) == 0;
}

const void *mcur_key(nq_cursor *c, size_t *klen)
{
    if (!mcur_valid(c)) {
        *klen = 0;
        return NULL;
    }
    *klen = c->kl;
    return c->kb;
}

const void *mcur_value(nq_cursor *c, size_t *vlen)
{
    nq_db *db = c->tree->db;
    nq_err_clear(&db->err);
    *vlen = 0;
    if (!mcur_valid(c)) {
        nq_err_set(&db->err, NQ_EMISUSE, "the cursor is not on an entry");
        return NULL;
    }
    const void *v;
    size_t vl;
    if (ws_find(cur_wt(c), c->kb, c->kl, &v, &vl) == WS_VALUE) {
        *vlen = vl;
        return v;
    }
    nq_err_clear(pager_txn_err(c->txn));
    v = btree_cursor_value(c->bc, vlen);
    if (!v) {
        int code = pager_txn_err(c->txn)->code;
        api_fail(db, c->txn, code ? code : NQ_ERROR);
    }
    return v;
}

void nq_cursor_norecord(nq_cursor *c)
{
    if (c) {
        range_free(c);
        c->norecord = 1;
    }
}
