/*
 * writeset.c — skip lists of a transaction's private writes (writeset.h).
 *
 * Each tree's map is a skip list (Pugh 1990) with a back link on the bottom level, so that
 * iteration runs both ways in O(1) per step and a seek costs O(log n) expected. Node heights
 * come from a xorshift generator with a fixed seed: runs are reproducible. A node holds its
 * key inline after its forward pointers and its value in a separate allocation (so a value
 * can be replaced and its old buffer kept by the undo log).
 */
#include "writeset.h"

#include <stdlib.h>
#include <string.h>

#include "nqdb.h"

#define WS_MAXH 24

struct ws_node {
    struct ws_node *prev; /* bottom-level back link (NULL: the head) */
    uint8_t state;
    uint8_t height;
    uint32_t klen;
    size_t vlen;
    uint8_t *val;
    struct ws_node *next[];
    /* then klen key bytes */
};

struct ws_tree {
    char *name;
    ws_node *head; /* WS_MAXH levels, no key */
    int level;     /* levels in use */
    uint64_t count;
    struct ws_tree *next;
};

typedef struct ws_undo {
    ws_tree *t;
    ws_node *n;
    uint8_t state;
    uint8_t *val;
    size_t vlen;
} ws_undo;

struct writeset {
    ws_tree *trees, *last_tree, *hint;
    uint64_t count;
    size_t bytes;
    uint64_t rng;
    int marked;
    ws_undo *undo;
    size_t nundo, cundo;
};

#define NODE_KEY(n) ((uint8_t *)&(n)->next[(n)->height])

int ws_keycmp(const void *a, size_t al, const void *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

writeset *ws_create(void)
{
    writeset *ws = calloc(1, sizeof *ws);
    if (ws)
        ws->rng = 0x9e3779b97f4a7c15ull;
    return ws;
}

static void tree_free(ws_tree *t)
{
    ws_node *n = t->head;
    while (n) {
        ws_node *nx = n->next[0];
        free(n->val);
        free(n);
        n = nx;
    }
    free(t->name);
    free(t);
}

void ws_free(writeset *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < ws->nundo; i++)
        free(ws->undo[i].val);
    free(ws->undo);
    ws_tree *t = ws->trees;
    while (t) {
        ws_tree *nx = t->next;
        tree_free(t);
        t = nx;
    }
    free(ws);
}

ws_tree *ws_tree_get(writeset *ws, const char *name, int create)
{
    if (ws->hint && strcmp(ws->hint->name, name) == 0)
        return ws->hint;
    for (ws_tree *t = ws->trees; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return ws->hint = t;
    if (!create)
        return NULL;
    ws_tree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = strdup(name);
    t->head = calloc(1, sizeof(ws_node) + WS_MAXH * sizeof(ws_node *));
    if (!t->name || !t->head) {
        free(t->name);
        free(t->head);
        free(t);
        return NULL;
    }
    t->head->height = WS_MAXH;
    t->level = 1;
    if (ws->last_tree)
        ws->last_tree->next = t;
    else
        ws->trees = t;
    ws->last_tree = t;
    ws->bytes += sizeof *t + strlen(name) + 1 + sizeof(ws_node) + WS_MAXH * sizeof(ws_node *);
    return ws->hint = t;
}

const char *ws_tree_name(const ws_tree *t) { return t->name; }

ws_tree *ws_tree_next(writeset *ws, ws_tree *prev) { return prev ? prev->next : ws->trees; }

/* The rightmost node < key (or <= key when le) on every level, into upd (may be NULL);
 * returns the bottom-level one (the head if none). */
static ws_node *find_before(const ws_tree *t, const void *k, size_t kl, int le, ws_node **upd)
{
    ws_node *x = t->head;
    for (int i = t->level - 1; i >= 0; i--) {
        for (;;) {
            ws_node *nx = x->next[i];
            if (!nx)
                break;
            int c = ws_keycmp(NODE_KEY(nx), nx->klen, k, kl);
            if (c < 0 || (le && c == 0))
                x = nx;
            else
                break;
        }
        if (upd)
            upd[i] = x;
    }
    return x;
}

static int undo_push(writeset *ws, ws_tree *t, ws_node *n)
{
    if (!ws->marked)
        return 0;
    if (ws->nundo == ws->cundo) {
        size_t nc = ws->cundo ? ws->cundo * 2 : 64;
        ws_undo *nu = realloc(ws->undo, nc * sizeof *nu);
        if (!nu)
            return NQ_ENOMEM;
        ws->bytes += (nc - ws->cundo) * sizeof *nu;
        ws->undo = nu;
        ws->cundo = nc;
    }
    ws_undo *u = &ws->undo[ws->nundo++];
    u->t = t;
    u->n = n;
    u->state = n->state;
    u->val = n->val; /* ownership moves to the undo record */
    u->vlen = n->vlen;
    n->val = NULL;
    return 0;
}

static void set_state(writeset *ws, ws_tree *t, ws_node *n, int state)
{
    int was = n->state != WS_ABSENT, is = state != WS_ABSENT;
    if (was && !is) {
        t->count--;
        ws->count--;
    } else if (!was && is) {
        t->count++;
        ws->count++;
    }
    n->state = (uint8_t)state;
}

static int write_key(writeset *ws, ws_tree *t, const void *k, size_t kl, const void *v, size_t vl,
                     int state)
{
    uint8_t *copy = NULL;
    if (state == WS_VALUE) {
        copy = malloc(vl ? vl : 1);
        if (!copy)
            return NQ_ENOMEM;
        if (vl)
            memcpy(copy, v, vl);
    }
    ws_node *upd[WS_MAXH];
    ws_node *x = find_before(t, k, kl, 0, upd)->next[0];
    if (x && ws_keycmp(NODE_KEY(x), x->klen, k, kl) == 0) {
        if (ws->marked) {
            if (undo_push(ws, t, x)) {
                free(copy);
                return NQ_ENOMEM;
            }
        } else if (x->val) {
            ws->bytes -= x->vlen;
            free(x->val);
            x->val = NULL;
        }
        x->val = copy;
        x->vlen = copy ? vl : 0;
        ws->bytes += x->vlen;
        set_state(ws, t, x, state);
        return 0;
    }
    int h = 1;
    for (;;) {
        /* xorshift64: p = 1/4 per extra level */
        ws->rng ^= ws->rng << 13;
        ws->rng ^= ws->rng >> 7;
        ws->rng ^= ws->rng << 17;
        uint64_t r = ws->rng;
        while (h < WS_MAXH && (r & 3) == 0) {
            h++;
            r >>= 2;
        }
        break;
    }
    size_t sz = sizeof(ws_node) + (size_t)h * sizeof(ws_node *) + kl;
    ws_node *n = malloc(sz);
    if (!n) {
        free(copy);
        return NQ_ENOMEM;
    }
    n->height = (uint8_t)h;
    n->klen = (uint32_t)kl;
    n->state = WS_ABSENT;
    n->val = NULL;
    n->vlen = 0;
    memcpy(NODE_KEY(n), k, kl);
    if (h > t->level) {
        for (int i = t->level; i < h; i++)
            upd[i] = t->head;
        t->level = h;
    }
    for (int i = 0; i < h; i++) {
        n->next[i] = upd[i]->next[i];
        upd[i]->next[i] = n;
    }
    n->prev = upd[0] == t->head ? NULL : upd[0];
    if (n->next[0])
        n->next[0]->prev = n;
    ws->bytes += sz;
    /* a new node is absent until written: the undo record restores exactly that */
    if (undo_push(ws, t, n)) {
        /* leave the node in place as absent: harmless */
        free(copy);
        return NQ_ENOMEM;
    }
    n->val = copy;
    n->vlen = copy ? vl : 0;
    ws->bytes += n->vlen;
    set_state(ws, t, n, state);
    return 0;
}

int ws_put(writeset *ws, ws_tree *t, const void *k, size_t kl, const void *v, size_t vl)
{
    return write_key(ws, t, k, kl, v, vl, WS_VALUE);
}

int ws_del(writeset *ws, ws_tree *t, const void *k, size_t kl)
{
    return write_key(ws, t, k, kl, NULL, 0, WS_TOMB);
}

int ws_find(const ws_tree *t, const void *k, size_t kl, const void **v, size_t *vl)
{
    if (!t || !t->count)
        return WS_ABSENT;
    ws_node *x = find_before(t, k, kl, 0, NULL)->next[0];
    if (!x || ws_keycmp(NODE_KEY(x), x->klen, k, kl) != 0)
        return WS_ABSENT;
    if (x->state == WS_VALUE) {
        if (v)
            *v = x->val;
        if (vl)
            *vl = x->vlen;
    }
    return x->state;
}

uint64_t ws_mark(writeset *ws)
{
    ws->marked = 1;
    return ws->nundo;
}

void ws_rollback_to(writeset *ws, uint64_t mark)
{
    while (ws->nundo > mark) {
        ws_undo *u = &ws->undo[--ws->nundo];
        ws_node *n = u->n;
        ws->bytes -= n->vlen;
        free(n->val);
        n->val = u->val;
        n->vlen = u->vlen;
        set_state(ws, u->t, n, u->state);
    }
}

uint64_t ws_count(const writeset *ws) { return ws->count; }
uint64_t ws_tree_count(const ws_tree *t) { return t ? t->count : 0; }
size_t ws_bytes(const writeset *ws) { return ws->bytes; }

ws_node *ws_next(const ws_node *n)
{
    ws_node *x = n->next[0];
    while (x && x->state == WS_ABSENT)
        x = x->next[0];
    return x;
}

ws_node *ws_prev(const ws_node *n)
{
    ws_node *x = n->prev;
    while (x && x->state == WS_ABSENT)
        x = x->prev;
    return x;
}

ws_node *ws_first(const ws_tree *t)
{
    if (!t || !t->count)
        return NULL;
    return ws_next(t->head);
}

ws_node *ws_last(const ws_tree *t)
{
    if (!t || !t->count)
        return NULL;
    ws_node *x = t->head;
    for (int i = t->level - 1; i >= 0; i--)
        while (x->next[i])
            x = x->next[i];
    if (x == t->head)
        return NULL;
    return x->state == WS_ABSENT ? ws_prev(x) : x;
}

ws_node *ws_seek(const ws_tree *t, const void *k, size_t kl, int how)
{
    if (!t || !t->count)
        return NULL;
    if (how == WS_GE || how == WS_GT) {
        ws_node *x = find_before(t, k, kl, how == WS_GT, NULL)->next[0];
        while (x && x->state == WS_ABSENT)
            x = x->next[0];
        return x;
    }
    ws_node *x = find_before(t, k, kl, how == WS_LE, NULL);
    if (x == t->head)
        return NULL;
    return x->state == WS_ABSENT ? ws_prev(x) : x;
}

const void *ws_node_key(const ws_node *n, size_t *kl)
{
    *kl = n->klen;
    return NODE_KEY(n);
}

int ws_node_state(const ws_node *n) { return n->state; }

const void *ws_node_value(const ws_node *n, size_t *vl)
{
    *vl = n->state == WS_VALUE ? n->vlen : 0;
    return n->state == WS_VALUE ? n->val : NULL;
}
