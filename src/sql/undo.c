/*
 * undo.c — the undo log and the logged storage primitives (tw_put, tw_del, tree create and
 * drop) that every SQL write goes through.
 *
 * Why an undo log at all: the storage engine has one transaction per connection and no nested
 * transactions, yet SQL needs three levels of atomicity — the transaction, the savepoint and
 * the single statement. The storage transaction gives the first; the log gives the other two.
 * Before a logged write changes a key, the key's previous state (old value, or "absent") is
 * appended; undoing walks the log backwards and writes those states back. Creating a tree logs
 * "created" (undone by dropping it, which is safe because no one else can see it yet); dropping
 * a table's tree inside an explicit transaction is only recorded in s->pending_drops and done at
 * COMMIT, because a dropped tree's pages could not be brought back; its log entry takes it off
 * the pending list again.
 *
 * When the statement owns the storage transaction (autocommit) nothing is logged: a failure
 * rolls the storage transaction back, which is cheaper and exact. Nor inside a concurrent
 * transaction: its write set has marks of its own (nq_txn_mark / nq_txn_rollback_to); once it
 * turns exclusive (DDL, or a write set over the engine's budget) logging starts, and what was
 * written before can no longer be undone piecemeal (session.c, undo_to).
 *
 * Entries name their tree by its storage name, not by handle: catalog handles may be freed by a
 * reload between the write and the undo, so undo opens its own handles.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "sql/tablerw.h"

enum { U_RESTORE = 1, U_REMOVE, U_CREATED, U_DROP_PENDING };

typedef struct undo_ent {
    uint8_t kind;
    char *tree;       /* storage tree name (its own allocation, shared via a small cache) */
    uint8_t *key;     /* key, then old value, in one allocation */
    size_t kl, vl;
} undo_ent;

struct undo_log {
    undo_ent *v;
    size_t n, cap;
};

static int logging(const sql_session *s)
{
    int mode;
    /* a concurrent transaction undoes statements and savepoints with its write set's marks
     * (session.c): logging there would only double the work of every write */
    return !s->ac_txn && nq_in_txn(s->db, &mode) && mode != NQ_TXN_CONCURRENT;
}

static int from_db(sql_session *s, int rc, nq_err *e)
{
    if (e) {
        const char *m = nq_errmsg(s->db);
        nq_err_set(e, rc, "%s", m && *m ? m : nq_strerror(rc));
    }
    return rc;
}

size_t undo_mark(sql_session *s)
{
    return s->undo ? s->undo->n : 0;
}

static void ent_free(undo_ent *en)
{
    free(en->tree);
    free(en->key);
}

void undo_truncate(sql_session *s, size_t mark)
{
    undo_log *u = s->undo;
    if (!u)
        return;
    while (u->n > mark)
        ent_free(&u->v[--u->n]);
    if (u->n == 0 && u->cap > 1024) { /* give back a big bulk statement's memory */
        free(u->v);
        u->v = NULL;
        u->cap = 0;
    }
}

void undo_free(undo_log *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++)
        ent_free(&u->v[i]);
    free(u->v);
    free(u);
}

static int push(sql_session *s, int kind, const char *tree, const void *k, size_t kl,
                const void *v, size_t vl, nq_err *e)
{
    if (!s->undo && !(s->undo = calloc(1, sizeof *s->undo)))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    undo_log *u = s->undo;
    if (u->n == u->cap) {
        size_t nc = u->cap ? u->cap * 2 : 64;
        undo_ent *nv = realloc(u->v, nc * sizeof *nv);
        if (!nv)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        u->v = nv;
        u->cap = nc;
    }
    undo_ent en = {0};
    en.kind = (uint8_t)kind;
    en.tree = strdup(tree);
    en.key = malloc(kl + vl + 1);
    if (!en.tree || !en.key) {
        ent_free(&en);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (kl)
        memcpy(en.key, k, kl);
    if (vl)
        memcpy(en.key + kl, v, vl);
    en.kl = kl;
    en.vl = vl;
    u->v[u->n++] = en;
    return 0;
}

static void note_schema(sql_session *s, nq_tree *t)
{
    if (!strcmp(t->name, CAT_SCHEMA_TREE))
        s->schema_dirty = 1;
}

int tw_put(sql_session *s, nq_tree *t, const void *k, size_t kl, const void *v, size_t vl,
           int flags, nq_err *e)
{
    int rc;
    note_schema(s, t);
    if (logging(s) && (flags & NQ_PUT_NOOVERWRITE)) {
        /* the caller knows the key is new (a fresh row or index entry): log "absent" without
         * looking it up; the put itself verifies the claim */
        if ((rc = push(s, U_REMOVE, t->name, k, kl, NULL, 0, e)))
            return rc;
        rc = nq_put(t, k, kl, v, vl, flags);
        if (rc) {
            undo_log *u = s->undo;
            ent_free(&u->v[--u->n]);
            return from_db(s, rc, e);
        }
        return 0;
    }
    if (logging(s)) {
        void *old = NULL;
        size_t ol = 0;
        rc = nq_get(t, k, kl, &old, &ol);
        if (rc == NQ_ENOTFOUND) {
            rc = push(s, U_REMOVE, t->name, k, kl, NULL, 0, e);
        } else if (rc == 0) {
            if (flags & NQ_PUT_NOOVERWRITE) {
                free(old);
                return nq_err_set(e, NQ_EEXIST, "key exists");
            }
            rc = push(s, U_RESTORE, t->name, k, kl, old, ol, e);
            free(old);
        } else {
            return from_db(s, rc, e);
        }
        if (rc)
            return rc;
        rc = nq_put(t, k, kl, v, vl, flags);
        if (rc) {
            /* nothing changed: forget the entry */
            undo_log *u = s->undo;
            ent_free(&u->v[--u->n]);
            return from_db(s, rc, e);
        }
        return 0;
    }
    rc = nq_put(t, k, kl, v, vl, flags);
    return rc ? from_db(s, rc, e) : 0;
}

int tw_del(sql_session *s, nq_tree *t, const void *k, size_t kl, nq_err *e)
{
    int rc;
    note_schema(s, t);
    if (logging(s)) {
        void *old = NULL;
        size_t ol = 0;
        rc = nq_get(t, k, kl, &old, &ol);
        if (rc)
            return from_db(s, rc, e);
        rc = push(s, U_RESTORE, t->name, k, kl, old, ol, e);
        free(old);
        if (rc)
            return rc;
        rc = nq_del(t, k, kl);
        if (rc) {
            undo_log *u = s->undo;
            ent_free(&u->v[--u->n]);
            return from_db(s, rc, e);
        }
        return 0;
    }
    rc = nq_del(t, k, kl);
    return rc ? from_db(s, rc, e) : 0;
}

int tw_tree_create(sql_session *s, const char *name, nq_tree **out, nq_err *e)
{
    *out = NULL;
    int rc = nq_tree_open(s->db, name, 0, out);
    if (rc == 0)
        return 0;
    if (rc != NQ_ENOTFOUND)
        return from_db(s, rc, e);
    if (logging(s) && (rc = push(s, U_CREATED, name, NULL, 0, NULL, 0, e)))
        return rc;
    rc = nq_tree_open(s->db, name, NQ_TREE_CREATE, out);
    if (rc) {
        if (logging(s))
            ent_free(&s->undo->v[--s->undo->n]);
        return from_db(s, rc, e);
    }
    return 0;
}

int tw_tree_drop(sql_session *s, const char *name, nq_err *e)
{
    if (!s->explicit_txn) {
        int rc = nq_tree_drop(s->db, name);
        return rc ? from_db(s, rc, e) : 0;
    }
    if (s->ndrops == s->capdrops) {
        int nc = s->capdrops ? s->capdrops * 2 : 8;
        char **nd = realloc(s->pending_drops, (size_t)nc * sizeof *nd);
        if (!nd)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->pending_drops = nd;
        s->capdrops = nc;
    }
    char *dup = strdup(name);
    if (!dup)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = push(s, U_DROP_PENDING, name, NULL, 0, NULL, 0, e);
    if (rc) {
        free(dup);
        return rc;
    }
    s->pending_drops[s->ndrops++] = dup;
    return 0;
}

static int undo_one(sql_session *s, const undo_ent *en, nq_err *e)
{
    if (!strcmp(en->tree, CAT_SCHEMA_TREE))
        s->cat_invalid = 1;
    if (en->kind == U_DROP_PENDING) {
        for (int i = s->ndrops - 1; i >= 0; i--)
            if (!strcmp(s->pending_drops[i], en->tree)) {
                free(s->pending_drops[i]);
                memmove(&s->pending_drops[i], &s->pending_drops[i + 1],
                        (size_t)(s->ndrops - i - 1) * sizeof(char *));
                s->ndrops--;
                break;
            }
        return 0;
    }
    if (en->kind == U_CREATED) {
        int rc = nq_tree_drop(s->db, en->tree);
        return rc && rc != NQ_ENOTFOUND ? from_db(s, rc, e) : 0;
    }
    nq_tree *t;
    int rc = nq_tree_open(s->db, en->tree, 0, &t);
    if (rc)
        return from_db(s, rc, e);
    if (en->kind == U_RESTORE)
        rc = nq_put(t, en->key, en->kl, en->key + en->kl, en->vl, 0);
    else
        rc = nq_del(t, en->key, en->kl);
    if (rc == NQ_ENOTFOUND)
        rc = 0;
    if (rc)
        from_db(s, rc, e);
    nq_tree_close(t);
    return rc;
}

int undo_apply(sql_session *s, size_t mark, nq_err *e)
{
    undo_log *u = s->undo;
    if (!u)
        return 0;
    int rc = 0;
    while (u->n > mark) {
        undo_ent *en = &u->v[u->n - 1];
        if (!rc)
            rc = undo_one(s, en, e);
        ent_free(en);
        u->n--;
    }
    return rc;
}
