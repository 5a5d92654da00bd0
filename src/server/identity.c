/*
 * identity.c — permission names and bits (see identity.h). The order of perm_names is the
 * order in which the upstream server listed them, and the order of the PERM_* bits.
 */
#include "identity.h"

#include <stdio.h>
#include <string.h>

const char *const perm_names[6] = {"admin", "neuromorphic", "quantum", "dna", "read", "write"};

unsigned perm_parse(const char *name)
{
    for (unsigned i = 0; i < 6; i++)
        if (strcmp(name, perm_names[i]) == 0)
            return 1u << i;
    return 0;
}

void perm_format(unsigned perms, char *buf, unsigned cap)
{
    unsigned n = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < 6; i++) {
        if (!(perms & (1u << i)))
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", perm_names[i]);
        if (w < 0 || (unsigned)w >= cap - n)
            return;
        n += (unsigned)w;
    }
}
