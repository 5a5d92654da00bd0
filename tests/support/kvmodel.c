/*
 * kvmodel.c — the reference model of database contents used by the crash tests (interface and
 * ordering rules in kvmodel.h).
 *
 * Each tree is a sorted array of (key blob, value blob) found by binary search. The models
 * stay small (hundreds of entries), so an O(n) insert is cheaper than a balanced tree and far
 * simpler to trust, which matters more here: a bug in the oracle looks like a bug in the
 * engine. Blobs are reference-counted and never change after creation, which is what makes
 * kvm_clone a shallow copy.
 */
#include "kvmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct blob {
    size_t refs;
    size_t len;
    uint8_t data[];
} blob;

typedef struct kv {
    blob *k, *v;
} kv;

typedef struct mtree {
    int exists;
    uint64_t seq_max;
    kv *e;
    size_t n, cap;
} mtree;

struct kvm {
    int ntrees;
    mtree *t;
};

static blob *blob_new(const void *d, size_t len)
{
    blob *b = malloc(sizeof *b + (len ? len : 1));
    if (!b)
        abort(); /* the oracle has no error path: a test without memory cannot judge anything */
    b->refs = 1;
    b->len = len;
    if (len)
        memcpy(b->data, d, len);
    return b;
}

static blob *blob_ref(blob *b)
{
    b->refs++;
    return b;
}

static void blob_unref(blob *b)
{
    if (b && --b->refs == 0)
        free(b);
}

static int key_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Index of the first entry >= key; *found says whether it is equal. */
static size_t find(const mtree *t, const void *k, size_t kl, int *found)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(t->e[mid].k->data, t->e[mid].k->len, k, kl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < t->n && key_cmp(t->e[lo].k->data, t->e[lo].k->len, k, kl) == 0;
    return lo;
}

kvm *kvm_new(int ntrees)
{
    kvm *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->ntrees = ntrees;
    m->t = calloc((size_t)ntrees, sizeof *m->t);
    if (!m->t) {
        free(m);
        return NULL;
    }
    return m;
}

kvm *kvm_clone(const kvm *m)
{
    kvm *c = kvm_new(m->ntrees);
    if (!c)
        return NULL;
    for (int i = 0; i < m->ntrees; i++) {
        const mtree *s = &m->t[i];
        mtree *d = &c->t[i];
        d->exists = s->exists;
        d->seq_max = s->seq_max;
        if (s->n) {
            d->e = malloc(s->n * sizeof *d->e);
            if (!d->e)
                abort();
            for (size_t j = 0; j < s->n; j++) {
                d->e[j].k = blob_ref(s->e[j].k);
                d->e[j].v = blob_ref(s->e[j].v);
            }
            d->n = d->cap = s->n;
        }
    }
    return c;
}

static void tree_clear(mtree *t)
{
    for (size_t j = 0; j < t->n; j++) {
        blob_unref(t->e[j].k);
        blob_unref(t->e[j].v);
    }
    t->n = 0;
}

void kvm_free(kvm *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->ntrees; i++) {
        tree_clear(&m->t[i]);
        free(m->t[i].e);
    }
    free(m->t);
    free(m);
}

int kvm_ntrees(const kvm *m) { return m->ntrees; }
int kvm_tree_exists(const kvm *m, int t) { return m->t[t].exists; }
void kvm_tree_create(kvm *m, int t) { m->t[t].exists = 1; }

void kvm_tree_drop(kvm *m, int t)
{
    tree_clear(&m->t[t]);
    m->t[t].exists = 0;
}

void kvm_put(kvm *m, int t, const void *k, size_t kl, const void *v, size_t vl)
{
    mtree *tr = &m->t[t];
    tr->exists = 1;
    int found;
    size_t i = find(tr, k, kl, &found);
    if (found) {
        blob_unref(tr->e[i].v);
        tr->e[i].v = blob_new(v, vl);
        return;
    }
    if (tr->n == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 16;
        kv *e = realloc(tr->e, cap * sizeof *e);
        if (!e)
            abort();
        tr->e = e;
        tr->cap = cap;
    }
    memmove(&tr->e[i + 1], &tr->e[i], (tr->n - i) * sizeof *tr->e);
    tr->e[i].k = blob_new(k, kl);
    tr->e[i].v = blob_new(v, vl);
    tr->n++;
}

int kvm_del(kvm *m, int t, const void *k, size_t kl)
{
    mtree *tr = &m->t[t];
    int found;
    size_t i = find(tr, k, kl, &found);
    if (!found)
        return 0;
    blob_unref(tr->e[i].k);
    blob_unref(tr->e[i].v);
    memmove(&tr->e[i], &tr->e[i + 1], (tr->n - i - 1) * sizeof *tr->e);
    tr->n--;
    return 1;
}

int kvm_get(const kvm *m, int t, const void *k, size_t kl, const void **v, size_t *vl)
{
    const mtree *tr = &m->t[t];
    int found;
    size_t i = find(tr, k, kl, &found);
    if (!found)
        return 0;
    *v = tr->e[i].v->data;
    *vl = tr->e[i].v->len;
    return 1;
}

size_t kvm_count(const kvm *m, int t) { return m->t[t].n; }

void kvm_entry(const kvm *m, int t, size_t i, const void **k, size_t *kl, const void **v,
               size_t *vl)
{
    const kv *e = &m->t[t].e[i];
    *k = e->k->data;
    *kl = e->k->len;
    *v = e->v->data;
    *vl = e->v->len;
}

void kvm_seq_note(kvm *m, int t, uint64_t v)
{
    if (v > m->t[t].seq_max)
        m->t[t].seq_max = v;
}

uint64_t kvm_seq_max(const kvm *m, int t) { return m->t[t].seq_max; }

/* Printable prefix of a key for messages. */
static void show_key(char *out, size_t outlen, const blob *k)
{
    size_t j = 0;
    for (size_t i = 0; i < k->len && j + 5 < outlen && i < 24; i++) {
        uint8_t c = k->data[i];
        j += (size_t)snprintf(out + j, outlen - j, (c >= 32 && c < 127) ? "%c" : "\\x%02x", c);
    }
    out[j] = 0;
}

int kvm_equal(const kvm *a, const kvm *b, char *why, size_t whylen)
{
    char ks[128];
    for (int i = 0; i < a->ntrees && i < b->ntrees; i++) {
        const mtree *x = &a->t[i], *y = &b->t[i];
        if (x->exists != y->exists) {
            if (why)
                snprintf(why, whylen, "tree t%d %s in the first, %s in the second", i,
                         x->exists ? "exists" : "absent", y->exists ? "exists" : "absent");
            return 0;
        }
        size_t n = x->n < y->n ? x->n : y->n;
        for (size_t j = 0; j < n; j++) {
            const kv *p = &x->e[j], *q = &y->e[j];
            if (key_cmp(p->k->data, p->k->len, q->k->data, q->k->len) != 0) {
                if (why) {
                    const blob *lo = key_cmp(p->k->data, p->k->len, q->k->data, q->k->len) < 0
                                         ? p->k
                                         : q->k;
                    show_key(ks, sizeof ks, lo);
                    snprintf(why, whylen, "tree t%d: key \"%s\" is only in the %s", i, ks,
                             lo == p->k ? "first" : "second");
                }
                return 0;
            }
            if (p->v->len != q->v->len || memcmp(p->v->data, q->v->data, p->v->len) != 0) {
                if (why) {
                    show_key(ks, sizeof ks, p->k);
                    snprintf(why, whylen, "tree t%d: key \"%s\": values differ (%zu vs %zu bytes)",
                             i, ks, p->v->len, q->v->len);
                }
                return 0;
            }
        }
        if (x->n != y->n) {
            if (why) {
                const blob *k = x->n > y->n ? x->e[n].k : y->e[n].k;
                show_key(ks, sizeof ks, k);
                snprintf(why, whylen, "tree t%d: %zu vs %zu entries; key \"%s\" is only in the %s",
                         i, x->n, y->n, ks, x->n > y->n ? "first" : "second");
            }
            return 0;
        }
    }
    return a->ntrees == b->ntrees;
}

static uint64_t mix(uint64_t h, const void *d, size_t n)
{
    const uint8_t *p = d;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull; /* FNV-1a */
    }
    return h;
}

uint64_t kvm_digest(const kvm *m)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < m->ntrees; i++) {
        const mtree *t = &m->t[i];
        uint64_t hdr[2] = {(uint64_t)t->exists, (uint64_t)t->n};
        h = mix(h, hdr, sizeof hdr);
        for (size_t j = 0; j < t->n; j++) {
            uint64_t l[2] = {t->e[j].k->len, t->e[j].v->len};
            h = mix(h, l, sizeof l);
            h = mix(h, t->e[j].k->data, t->e[j].k->len);
            h = mix(h, t->e[j].v->data, t->e[j].v->len);
        }
    }
    return h;
}
