/*
 * identity.h — who a request is: the result of authentication, shared by every part of the
 * server (auth, rate limiting, handlers, WebSocket).
 *
 * Permissions are a bit set over the fixed names of the upstream surface (admin, neuromorphic,
 * quantum, dna, read, write); admin implies every other. An identity comes from an API key
 * (kind ID_KEY, subject = the key's id, name = its name) or from a JWT access token (kind
 * ID_JWT, subject = the user name). Anonymous callers have kind ID_NONE and no permissions.
 */
#ifndef NQ_SERVER_IDENTITY_H
#define NQ_SERVER_IDENTITY_H

#include <stdint.h>

#define PERM_ADMIN        0x01u
#define PERM_NEUROMORPHIC 0x02u
#define PERM_QUANTUM      0x04u
#define PERM_DNA          0x08u
#define PERM_READ         0x10u
#define PERM_WRITE        0x20u
#define PERM_ALL          0x3Fu

#define ID_NONE 0
#define ID_KEY  1
#define ID_JWT  2

typedef struct identity {
    int kind;                    /* ID_NONE, ID_KEY, ID_JWT */
    unsigned perms;              /* PERM_* bits as granted (admin not expanded) */
    char subject[80];            /* key id (ID_KEY) or user name (ID_JWT) */
    char name[80];               /* key name, or the user name again */
    uint32_t rate_limit_per_hour;/* per-key limit; 0 = the configured default */
    char jti[48];                /* JWT id (ID_JWT), for logout/revocation */
    int64_t expires_at;          /* unix seconds; 0 = never */
} identity;

/* 1 if id may do what `need` (one PERM_* bit) requires: the bit itself or admin. */
static inline int identity_allows(const identity *id, unsigned need)
{
    return id->kind != ID_NONE && ((id->perms & need) == need || (id->perms & PERM_ADMIN));
}

/* Permission names <-> bits. perm_parse returns 0 for an unknown name. perm_format writes the
 * names of the set bits in the fixed order, comma-separated, into buf (always terminated). */
unsigned perm_parse(const char *name);
void perm_format(unsigned perms, char *buf, unsigned cap);
extern const char *const perm_names[6]; /* admin, neuromorphic, quantum, dna, read, write */

#endif
