/*
 * fuzz_workload.c — the saved workload memory (src/sql/workload.c, wl_load) on arbitrary
 * bytes, as it would be read back from a damaged database. Checks: wl_load accepts or returns
 * NQ_ECORRUPT/NQ_ENOMEM, never crashes, hangs or reads out of bounds; a string it accepts is
 * saved again to the same bytes (wl_save(wl_load(x)) == x: no field is dropped or altered), and
 * the accepted network can learn and be read (wl_learn, wl_edges) without harm.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "sql/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    wl_net *w = wl_new();
    if (!w)
        return 0;
    nq_err e;
    nq_err_clear(&e);
    int rc = wl_load(w, data, size, &e);
    if (rc != 0 && rc != NQ_ECORRUPT && rc != NQ_ENOMEM)
        abort();
    if (rc == 0) {
        uint8_t *buf;
        size_t len;
        if (wl_save(w, &buf, &len) == 0) {
            if (len != size || memcmp(buf, data, size))
                abort();
            free(buf);
        }
        const char *names[3] = {"t", "t.a:eq", "t.b:range"};
        int decide;
        wl_learn(w, names, 3, "SELECT ?", &decide);
        wl_edge *v;
        size_t n;
        if (wl_edges(w, &v, &n) == 0)
            wl_edges_free(v, n);
    }
    wl_free(w);
    return 0;
}
