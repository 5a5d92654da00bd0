/*
 * keymap.c — open-addressing hash map of byte strings (design in keymap.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/keymap.h"

typedef struct kentry {
    size_t off, len;
    int64_t val;
} kentry;

struct keymap {
    uint32_t *slots;   /* 0 = empty, else entry index + 1 */
    uint64_t *hashes;  /* per entry */
    size_t cap;        /* slots, power of two */
    kentry *ents;
    size_t n, ecap;
    uint8_t *bytes;
    size_t blen, bcap;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

keymap *keymap_new(void)
{
    keymap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void keymap_free(keymap *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->hashes);
    free(m->ents);
    free(m->bytes);
    free(m);
}

static int grow(keymap *m)
{
    size_t nc = m->cap * 2;
    uint32_t *ns = calloc(nc, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = m->hashes[i] & (nc - 1);
        while (ns[j])
            j = (j + 1) & (nc - 1);
        ns[j] = (uint32_t)(i + 1);
    }
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return 0;
}

static size_t find(const keymap *m, const uint8_t *k, size_t n, uint64_t h, int *found)
{
    size_t j = h & (m->cap - 1);
    while (m->slots[j]) {
        size_t i = m->slots[j] - 1;
        if (m->hashes[i] == h && m->ents[i].len == n && !memcmp(m->bytes + m->ents[i].off, k, n)) {
            *found = 1;
            return j;
        }
        j = (j + 1) & (m->cap - 1);
    }
    *found = 0;
    return j;
}

int64_t keymap_get(keymap *m, const uint8_t *k, size_t n, int insert, int64_t val, int *added)
{
    if (added)
        *added = 0;
    uint64_t h = fnv(k, n);
    int found;
    size_t j = find(m, k, n, h, &found);
    if (found)
        return m->ents[m->slots[j] - 1].val;
    if (!insert)
        return -1;
    if ((m->n + 1) * 4 > m->cap * 3) {
        if (grow(m))
            return -2;
        j = find(m, k, n, h, &found);
    }
    if (m->n == m->ecap) {
        size_t nc = m->ecap ? m->ecap * 2 : 64;
        kentry *ne = realloc(m->ents, nc * sizeof *ne);
        if (!ne)
            return -2;
        m->ents = ne;
        uint64_t *nh = realloc(m->hashes, nc * sizeof *nh);
        if (!nh)
            return -2;
        m->hashes = nh;
        m->ecap = nc;
    }
    if (m->blen + n > m->bcap) {
        size_t nc = m->bcap ? m->bcap * 2 : 4096;
        while (nc < m->blen + n)
            nc *= 2;
        uint8_t *nb = realloc(m->bytes, nc);
        if (!nb)
            return -2;
        m->bytes = nb;
        m->bcap = nc;
    }
    if (n)
        memcpy(m->bytes + m->blen, k, n);
    m->ents[m->n] = (kentry){m->blen, n, val};
    m->hashes[m->n] = h;
    m->blen += n;
    m->slots[j] = (uint32_t)(++m->n);
    if (added)
        *added = 1;
    return val;
}

void keymap_set(keymap *m, const uint8_t *k, size_t n, int64_t val)
{
    int found;
    size_t j = find(m, k, n, fnv(k, n), &found);
    if (found)
        m->ents[m->slots[j] - 1].val = val;
}

size_t keymap_count(const keymap *m) { return m->n; }

const uint8_t *keymap_key(const keymap *m, size_t i, size_t *n)
{
    *n = m->ents[i].len;
    return m->bytes + m->ents[i].off;
}
