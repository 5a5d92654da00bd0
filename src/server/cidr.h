/*
 * cidr.h — IP addresses, CIDR ranges, and who the client of a request is.
 *
 * Every address is held in one 16-byte form: IPv6 as is, IPv4 a.b.c.d as the IPv4-mapped IPv6
 * address ::ffff:a.b.c.d, and an IPv4 range a.b.c.d/n as ::ffff:a.b.c.d/(96+n). So one
 * comparison serves both families, and an IPv4 client that reaches a dual-stack socket as
 * ::ffff:1.2.3.4 matches the IPv4 range 1.2.3.0/24 as it should. Addresses are parsed with
 * inet_pton only (no name lookups, no octal or shortened IPv4 forms such as "10.1").
 *
 * The client of a request (cidr_client_ip) is the peer address of the connection, unless the
 * peer is one of the configured trusted proxies: only then is X-Forwarded-For believed, and the
 * client is the right-most address in it that is not itself a trusted proxy (every proxy
 * appends the address it received the request from, so the entries left of the first
 * untrusted one are whatever the client chose to send and prove nothing).
 */
#ifndef NQ_SERVER_CIDR_H
#define NQ_SERVER_CIDR_H

#include <stddef.h>

struct sockaddr;

typedef struct cidr_range {
    unsigned char addr[16]; /* network address, host bits cleared */
    unsigned bits;          /* prefix length over the 16-byte form: 0..128 */
} cidr_range;

typedef struct cidr_list {
    cidr_range *v; /* owned; free with cidr_list_free */
    size_t n;
} cidr_list;

/* Longest text of an address: an IPv6 address with an embedded IPv4 one. */
#define CIDR_ADDRSTRLEN 46

/* Parse an address ("10.0.0.1", "::1", "::ffff:10.0.0.1") into the 16-byte form.
 * 0, or NQ_EINVAL. */
int cidr_parse_addr(const char *s, unsigned char out[16]);
/* Parse a range "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). Host bits
 * set below the prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8). 0, or NQ_EINVAL. */
int cidr_parse(const char *s, cidr_range *out);
/* 1 if the address (16-byte form) lies in the range. */
int cidr_contains(const cidr_range *r, const unsigned char addr[16]);

/* Parse n range strings into *out (replacing nothing: *out must be empty or freed). On a bad
 * entry: NQ_EINVAL and `invalid address or CIDR range "X"` in err; *out stays empty. */
int cidr_list_parse(const char *const *entries, size_t n, cidr_list *out, char *err,
                    size_t errlen);
void cidr_list_free(cidr_list *l);
/* 1 if the address string parses and lies in one of the ranges; 0 otherwise (an empty list
 * matches nothing; a malformed address matches nothing). */
int cidr_list_match(const cidr_list *l, const char *addr);

/* The canonical text of an address string: IPv4 and IPv4-mapped IPv6 as dotted IPv4, other
 * IPv6 in RFC 5952 form. 0, or NQ_EINVAL (out then holds ""). out needs CIDR_ADDRSTRLEN. */
int cidr_normalize(const char *addr, char *out, size_t outlen);
/* The canonical text of a socket address (AF_INET or AF_INET6), without the port. */
int cidr_sockaddr_str(const struct sockaddr *sa, char *out, size_t outlen);

/* The client address of a request (canonical text into out, CIDR_ADDRSTRLEN bytes):
 *   - the peer, when xff is NULL or empty, or trusted is NULL or empty, or the peer is not in
 *     trusted;
 *   - otherwise the right-most X-Forwarded-For entry that is not in trusted (or the left-most
 *     entry when all of them are trusted proxies).
 * Returns 0; NQ_EINVAL when peer is not an address, or when a trusted proxy sent an
 * X-Forwarded-For that does not parse: out then holds the peer, which callers may use to count
 * requests but must not use to grant access (an admin whitelist should refuse the request). */
int cidr_client_ip(const char *peer, const char *xff, const cidr_list *trusted, char *out,
                   size_t outlen);

#endif
