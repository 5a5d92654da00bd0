/*
 * pubsub.c — the subscription registry of the WebSocket endpoint; semantics in pubsub.h.
 *
 * Every subscribed name (exact channel or pattern) is one entry holding the array of its
 * subscribers. Entries live in a chained hash table keyed by the name, so subscribe and
 * unsubscribe are O(1) in the number of names and a publish finds the exact channel's entry in
 * O(1). Pattern entries are also kept in an array that a publish walks, matching each pattern
 * against the channel (O(segments) per pattern with the two-pointer glob algorithm, where "**"
 * plays the role of '*' and "*" the role of '?', over segments instead of characters). An entry
 * whose last subscriber leaves is freed, so the registry holds only what is subscribed now.
 *
 * pubsub_collect gathers the subscribers of the exact entry and of every matching pattern, then
 * sorts the pointers and drops duplicates: a connection subscribed to "a.b", "a.*" and "**"
 * gets one copy of a message on "a.b".
 */
#include "pubsub.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nqdb.h"

typedef struct ps_entry {
    struct ps_entry *next;  /* hash chain */
    void **subs;
    size_t nsubs, capsubs;
    size_t pidx;            /* index in ps->patterns (patterns only) */
    int pattern;
    char name[];
} ps_entry;

struct pubsub {
    ps_entry **tab;
    size_t nbuckets, nentries;
    ps_entry **patterns;
    size_t npatterns, cappatterns;
};

int pubsub_channel_check(const char *name, char *err, size_t errcap)
{
    const char *why = NULL;
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        why = "channel name is empty";
    else if (n > PUBSUB_MAX_CHANNEL)
        why = "channel name is longer than 256 bytes";
    else {
        size_t seg = 0;
        for (size_t i = 0; i <= n && !why; i++) {
            unsigned char c = (unsigned char)name[i];
            if (c == '.' || c == '\0') {
                if (seg == 0)
                    why = "channel name has an empty segment (leading, trailing or doubled '.')";
                seg = 0;
            } else if (c < 0x20 || c == 0x7f) {
                why = "channel name contains a control character";
            } else {
                seg++;
            }
        }
    }
    if (!why)
        return 0;
    if (err && errcap)
        snprintf(err, errcap, "%s", why);
    return NQ_EINVAL;
}

int pubsub_is_pattern(const char *name) { return strchr(name, '*') != NULL; }

/* Length of the segment starting at s (up to '.' or the end). */
static size_t seglen(const char *s)
{
    const char *d = strchr(s, '.');
    return d ? (size_t)(d - s) : strlen(s);
}

/* The segment after the one at s (of length n), or NULL at the end. */
static const char *segnext(const char *s, size_t n) { return s[n] == '.' ? s + n + 1 : NULL; }

int pubsub_match(const char *pattern, const char *channel)
{
    if (!pubsub_is_pattern(pattern))
        return strcmp(pattern, channel) == 0;
    const char *p = pattern, *c = channel;
    const char *star_p = NULL, *star_c = NULL; /* after the last "**", and where it resumed */
    while (c) {
        size_t cn = seglen(c);
        if (p) {
            size_t pn = seglen(p);
            if (pn == 2 && p[0] == '*' && p[1] == '*') {
                /* "**" first tries to match zero segments; on a mismatch later it takes one more. */
                star_p = segnext(p, pn);
                star_c = c;
                p = star_p;
                continue;
            }
            if ((pn == 1 && p[0] == '*') || (pn == cn && memcmp(p, c, cn) == 0)) {
                p = segnext(p, pn);
                c = segnext(c, cn);
                continue;
            }
        }
        if (!star_c)
            return 0;
        /* Backtrack: the last "**" swallows one more channel segment. */
        star_c = segnext(star_c, seglen(star_c));
        c = star_c; /* NULL: "**" took every remaining segment */
        p = star_p;
    }
    /* The channel is consumed: what is left of the pattern must be "**" segments only. */
    while (p) {
        size_t pn = seglen(p);
        if (!(pn == 2 && p[0] == '*' && p[1] == '*'))
            return 0;
        p = segnext(p, pn);
    }
    return 1;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

pubsub *pubsub_new(void)
{
    pubsub *ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    ps->nbuckets = 64;
    ps->tab = calloc(ps->nbuckets, sizeof *ps->tab);
    if (!ps->tab) {
        free(ps);
        return NULL;
    }
    return ps;
}

void pubsub_free(pubsub *ps)
{
    if (!ps)
        return;
    for (size_t b = 0; b < ps->nbuckets; b++) {
        ps_entry *e = ps->tab[b];
        while (e) {
            ps_entry *nx = e->next;
            free(e->subs);
            free(e);
            e = nx;
        }
    }
    free(ps->tab);
    free(ps->patterns);
    free(ps);
}

static ps_entry *find(const pubsub *ps, const char *name)
{
    for (ps_entry *e = ps->tab[hash_name(name) & (ps->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static int grow_table(pubsub *ps)
{
    size_t nb = ps->nbuckets * 2;
    ps_entry **t = calloc(nb, sizeof *t);
    if (!t)
        return NQ_ENOMEM;
    for (size_t b = 0; b < ps->nbuckets; b++) {
        ps_entry *e = ps->tab[b];
        while (e) {
            ps_entry *nx = e->next;
            size_t h = hash_name(e->name) & (nb - 1);
            e->next = t[h];
            t[h] = e;
            e = nx;
        }
    }
    free(ps->tab);
    ps->tab = t;
    ps->nbuckets = nb;
    return 0;
}

static void remove_entry(pubsub *ps, ps_entry *e)
{
    ps_entry **pp = &ps->tab[hash_name(e->name) & (ps->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    if (e->pattern) {
        ps_entry *last = ps->patterns[--ps->npatterns];
        ps->patterns[e->pidx] = last;
        last->pidx = e->pidx;
    }
    ps->nentries--;
    free(e->subs);
    free(e);
}

int pubsub_subscribe(pubsub *ps, void *sub, const char *name)
{
    ps_entry *e = find(ps, name);
    if (!e) {
        if (ps->nentries >= ps->nbuckets && grow_table(ps) < 0)
            return NQ_ENOMEM;
        int pat = pubsub_is_pattern(name);
        if (pat && ps->npatterns == ps->cappatterns) {
            size_t nc = ps->cappatterns ? ps->cappatterns * 2 : 16;
            ps_entry **np = realloc(ps->patterns, nc * sizeof *np);
            if (!np)
                return NQ_ENOMEM;
            ps->patterns = np;
            ps->cappatterns = nc;
        }
        size_t n = strlen(name);
        e = calloc(1, sizeof *e + n + 1);
        if (!e)
            return NQ_ENOMEM;
        memcpy(e->name, name, n + 1);
        e->pattern = pat;
        size_t h = hash_name(name) & (ps->nbuckets - 1);
        e->next = ps->tab[h];
        ps->tab[h] = e;
        ps->nentries++;
        if (pat) {
            e->pidx = ps->npatterns;
            ps->patterns[ps->npatterns++] = e;
        }
    }
    for (size_t i = 0; i < e->nsubs; i++)
        if (e->subs[i] == sub)
            return 0;
    if (e->nsubs == e->capsubs) {
        size_t nc = e->capsubs ? e->capsubs * 2 : 4;
        void **ns = realloc(e->subs, nc * sizeof *ns);
        if (!ns) {
            if (e->nsubs == 0)
                remove_entry(ps, e);
            return NQ_ENOMEM;
        }
        e->subs = ns;
        e->capsubs = nc;
    }
    e->subs[e->nsubs++] = sub;
    return 1;
}

int pubsub_unsubscribe(pubsub *ps, void *sub, const char *name)
{
    ps_entry *e = find(ps, name);
    if (!e)
        return 0;
    for (size_t i = 0; i < e->nsubs; i++) {
        if (e->subs[i] == sub) {
            e->subs[i] = e->subs[--e->nsubs];
            if (e->nsubs == 0)
                remove_entry(ps, e);
            return 1;
        }
    }
    return 0;
}

int pubsub_has(const pubsub *ps, const void *sub, const char *name)
{
    const ps_entry *e = find(ps, name);
    for (size_t i = 0; e && i < e->nsubs; i++)
        if (e->subs[i] == sub)
            return 1;
    return 0;
}

void pubsub_unsubscribe_all(pubsub *ps, void *sub)
{
    for (size_t b = 0; b < ps->nbuckets; b++) {
        ps_entry *e = ps->tab[b];
        while (e) {
            ps_entry *nx = e->next;
            for (size_t i = 0; i < e->nsubs; i++) {
                if (e->subs[i] == sub) {
                    e->subs[i] = e->subs[--e->nsubs];
                    if (e->nsubs == 0)
                        remove_entry(ps, e);
                    break;
                }
            }
            e = nx;
        }
    }
}

size_t pubsub_count(const pubsub *ps, const void *sub)
{
    size_t n = 0;
    for (size_t b = 0; b < ps->nbuckets; b++)
        for (const ps_entry *e = ps->tab[b]; e; e = e->next)
            for (size_t i = 0; i < e->nsubs; i++)
                if (e->subs[i] == sub)
                    n++;
    return n;
}

size_t pubsub_channels(const pubsub *ps) { return ps->nentries; }

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

static int append(void ***arr, size_t *n, size_t *cap, void *const *src, size_t k)
{
    if (*n + k > *cap) {
        size_t nc = *cap ? *cap : 16;
        while (nc < *n + k)
            nc *= 2;
        void **na = realloc(*arr, nc * sizeof *na);
        if (!na)
            return NQ_ENOMEM;
        *arr = na;
        *cap = nc;
    }
    memcpy(*arr + *n, src, k * sizeof **arr);
    *n += k;
    return 0;
}

long pubsub_collect(const pubsub *ps, const char *channel, void ***out)
{
    void **arr = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    const ps_entry *e = pubsub_is_pattern(channel) ? NULL : find(ps, channel);
    if (e && append(&arr, &n, &cap, e->subs, e->nsubs) < 0)
        goto oom;
    for (size_t i = 0; i < ps->npatterns; i++) {
        const ps_entry *p = ps->patterns[i];
        if (pubsub_match(p->name, channel) && append(&arr, &n, &cap, p->subs, p->nsubs) < 0)
            goto oom;
    }
    if (n > 1) {
        qsort(arr, n, sizeof *arr, cmp_ptr);
        size_t w = 1;
        for (size_t r = 1; r < n; r++)
            if (arr[r] != arr[w - 1])
                arr[w++] = arr[r];
        n = w;
    }
    *out = arr;
    return (long)n;
oom:
    free(arr);
    return NQ_ENOMEM;
}
