/*
 * qasm.c — OpenQASM 3 output (format in qasm.h). The text is built in a doubling buffer; a
 * gate statement is at most ~30 bytes plus ~8 per control, so each gate reserves room first
 * and then prints without further checks.
 */
#include "qasm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct qbuf {
    char *p;
    size_t len, cap;
    int oom;
} qbuf;

static void qb_printf(qbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void qb_printf(qbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = 2 * b->cap + (size_t)n + 1;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

int qasm_export(const statevec_circuit *c, int measure, char **out, size_t *len, nq_err *err)
{
    *out = NULL;
    qbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    b.p[0] = 0;
    qb_printf(&b, "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[%d] q;\n", c->n);
    if (measure)
        qb_printf(&b, "bit[%d] c;\n", c->n);
    for (size_t i = 0; i < c->ngates && !b.oom; i++) {
        const statevec_gate *g = &c->gates[i];
        int nc = __builtin_popcountll(g->cmask);
        const char *name = statevec_gate_name((statevec_gate_kind)g->kind);
        if (nc == 1 && (g->kind == SVG_X || g->kind == SVG_Z))
            qb_printf(&b, "c%s ", name);
        else if (nc == 1)
            qb_printf(&b, "ctrl @ %s", name);
        else if (nc > 1)
            qb_printf(&b, "ctrl(%d) @ %s", nc, name);
        else
            qb_printf(&b, "%s", name);
        if (g->kind == SVG_RX || g->kind == SVG_RY || g->kind == SVG_RZ)
            qb_printf(&b, "(%.17g)", g->theta);
        if (!(nc == 1 && (g->kind == SVG_X || g->kind == SVG_Z)))
            qb_printf(&b, " ");
        for (uint64_t m = g->cmask; m; m &= m - 1)
            qb_printf(&b, "q[%d], ", __builtin_ctzll(m));
        qb_printf(&b, "q[%d];\n", g->target);
    }
    if (measure)
        qb_printf(&b, "c = measure q;\n");
    if (b.oom) {
        free(b.p);
        return nq_err_set(err, NQ_ENOMEM, "out of memory writing OpenQASM");
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return 0;
}
