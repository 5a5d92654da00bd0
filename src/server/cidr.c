/*
 * cidr.c — addresses, ranges and the client-IP rule (see cidr.h for the design).
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nqdb.h"

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* 1 if s parsed as IPv4 (and out holds the mapped form), 0 if IPv6, -1 if neither. */
static int parse_any(const char *s, unsigned char out[16])
{
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memcpy(out, v4mapped_prefix, 12);
        memcpy(out + 12, &a4, 4);
        return 1;
    }
    if (inet_pton(AF_INET6, s, out) == 1)
        return 0;
    return -1;
}

int cidr_parse_addr(const char *s, unsigned char out[16])
{
    if (!s || strlen(s) >= CIDR_ADDRSTRLEN)
        return NQ_EINVAL;
    return parse_any(s, out) < 0 ? NQ_EINVAL : 0;
}

int cidr_parse(const char *s, cidr_range *out)
{
    char buf[CIDR_ADDRSTRLEN + 8];
    if (!s || strlen(s) >= sizeof buf)
        return NQ_EINVAL;
    strcpy(buf, s);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        const char *p = slash + 1;
        if (*p < '0' || *p > '9' || strlen(p) > 3)
            return NQ_EINVAL;
        char *end;
        bits = strtol(p, &end, 10);
        if (*end)
            return NQ_EINVAL;
    }
    int v4 = parse_any(buf, out->addr);
    if (v4 < 0)
        return NQ_EINVAL;
    long max = v4 ? 32 : 128;
    if (bits < 0)
        bits = max;
    if (bits > max)
        return NQ_EINVAL;
    out->bits = (unsigned)(v4 ? 96 + bits : bits);
    for (unsigned i = 0; i < 16; i++) {
        unsigned lo = i * 8;
        if (lo >= out->bits)
            out->addr[i] = 0;
        else if (lo + 8 > out->bits)
            out->addr[i] &= (unsigned char)(0xffu << (8 - (out->bits - lo)));
    }
    return 0;
}

int cidr_contains(const cidr_range *r, const unsigned char addr[16])
{
    unsigned full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->addr, addr, full) != 0)
        return 0;
    if (rest) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));
        if ((addr[full] & mask) != r->addr[full])
            return 0;
    }
    return 1;
}

int cidr_list_parse(const char *const *entries, size_t n, cidr_list *out, char *err,
                    size_t errlen)
{
    out->v = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    cidr_range *v = calloc(n, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (cidr_parse(entries[i], &v[i]) != 0) {
            snprintf(err, errlen, "invalid address or CIDR range \"%.60s\"",
                     entries[i] ? entries[i] : "(null)");
            free(v);
            return NQ_EINVAL;
        }
    }
    out->v = v;
    out->n = n;
    return 0;
}

void cidr_list_free(cidr_list *l)
{
    if (!l)
        return;
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int list_has(const cidr_list *l, const unsigned char a[16])
{
    for (size_t i = 0; l && i < l->n; i++)
        if (cidr_contains(&l->v[i], a))
            return 1;
    return 0;
}

int cidr_list_match(const cidr_list *l, const char *addr)
{
    unsigned char a[16];
    if (cidr_parse_addr(addr, a) != 0)
        return 0;
    return list_has(l, a);
}

static int format16(const unsigned char a[16], char *out, size_t outlen)
{
    char buf[CIDR_ADDRSTRLEN];
    const char *r;
    if (memcmp(a, v4mapped_prefix, 12) == 0)
        r = inet_ntop(AF_INET, a + 12, buf, sizeof buf);
    else
        r = inet_ntop(AF_INET6, a, buf, sizeof buf);
    if (!r || strlen(buf) >= outlen) {
        if (outlen)
            out[0] = '\0';
        return NQ_EINVAL;
    }
    strcpy(out, buf);
    return 0;
}

int cidr_normalize(const char *addr, char *out, size_t outlen)
{
    unsigned char a[16];
    if (cidr_parse_addr(addr, a) != 0) {
        if (outlen)
            out[0] = '\0';
        return NQ_EINVAL;
    }
    return format16(a, out, outlen);
}

int cidr_sockaddr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
    unsigned char a[16];
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        memcpy(a, v4mapped_prefix, 12);
        memcpy(a + 12, &s4->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(a, &s6->sin6_addr, 16);
    } else {
        if (outlen)
            out[0] = '\0';
        return NQ_EINVAL;
    }
    return format16(a, out, outlen);
}

/* The next entry of an X-Forwarded-For list, walking from the right: [*b, *e) trimmed.
 * *end is where the unread part of the header ends (NULL: nothing left). 0 at the end. */
static int xff_prev(const char *head, const char **end, const char **b, const char **e)
{
    if (!*end)
        return 0;
    const char *stop = *end, *p = stop;
    while (p > head && p[-1] != ',')
        p--;
    *end = p > head ? p - 1 : NULL;
    const char *s = p;
    while (s < stop && (*s == ' ' || *s == '\t'))
        s++;
    while (stop > s && (stop[-1] == ' ' || stop[-1] == '\t'))
        stop--;
    *b = s;
    *e = stop;
    return 1;
}

int cidr_client_ip(const char *peer, const char *xff, const cidr_list *trusted, char *out,
                   size_t outlen)
{
    unsigned char pa[16];
    if (cidr_parse_addr(peer, pa) != 0) {
        if (outlen)
            out[0] = '\0';
        return NQ_EINVAL;
    }
    if (format16(pa, out, outlen) != 0)
        return NQ_EINVAL;
    if (!xff || !*xff || !trusted || trusted->n == 0 || !list_has(trusted, pa))
        return 0;
    const char *end = xff + strlen(xff), *b, *e;
    unsigned char cur[16];
    int seen = 0;
    while (xff_prev(xff, &end, &b, &e)) {
        char buf[CIDR_ADDRSTRLEN];
        size_t len = (size_t)(e - b);
        if (len == 0 || len >= sizeof buf) {
            format16(pa, out, outlen);
            return NQ_EINVAL;
        }
        memcpy(buf, b, len);
        buf[len] = '\0';
        if (cidr_parse_addr(buf, cur) != 0) {
            format16(pa, out, outlen);
            return NQ_EINVAL;
        }
        seen = 1;
        if (!list_has(trusted, cur))
            return format16(cur, out, outlen);
    }
    /* Every entry was a trusted proxy: the left-most one is as close to the client as we get. */
    if (seen)
        return format16(cur, out, outlen);
    return 0;
}
