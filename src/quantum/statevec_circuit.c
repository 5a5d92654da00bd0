/*
 * statevec_circuit.c — recording gates and replaying them on a state vector (see the header).
 * Replay maps each recorded gate to the simulator's kernels: X under a mask is the swap kernel,
 * Z/S/T (and their controlled forms) are the masked-phase kernel, the rest a 2x2 matrix.
 */
#include "statevec_circuit.h"

#include <math.h>
#include <stdlib.h>

static const char *const gate_names[SVG_KIND_COUNT] = {
    "h", "x", "y", "z", "s", "sdg", "t", "tdg", "rx", "ry", "rz",
};

const char *statevec_gate_name(statevec_gate_kind k)
{
    return (unsigned)k < SVG_KIND_COUNT ? gate_names[k] : "?";
}

int statevec_circuit_new(statevec_circuit **out, int n, nq_err *err)
{
    *out = NULL;
    if (n < 1 || n > STATEVEC_MAX_QUBITS)
        return nq_err_set(err, NQ_EINVAL, "qubit count %d out of range (1..%d)", n,
                          STATEVEC_MAX_QUBITS);
    statevec_circuit *c = calloc(1, sizeof *c);
    if (!c)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    c->n = n;
    *out = c;
    return 0;
}

void statevec_circuit_free(statevec_circuit *c)
{
    if (!c)
        return;
    free(c->gates);
    free(c);
}

int statevec_circuit_add(statevec_circuit *c, statevec_gate_kind k, int target, uint64_t cmask,
                         double theta)
{
    if ((unsigned)k >= SVG_KIND_COUNT || target < 0 || target >= c->n ||
        (cmask >> target) & 1 || (c->n < 64 && (cmask >> c->n) != 0))
        return NQ_EINVAL;
    if (c->ngates == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        statevec_gate *g = realloc(c->gates, cap * sizeof *g);
        if (!g)
            return NQ_ENOMEM;
        c->gates = g;
        c->cap = cap;
    }
    statevec_gate *g = &c->gates[c->ngates++];
    g->kind = (uint8_t)k;
    g->target = (int8_t)target;
    g->theta = theta;
    g->cmask = cmask;
    return 0;
}

int statevec_circuit_mcz(statevec_circuit *c, uint64_t mask)
{
    if (mask == 0)
        return NQ_EINVAL;
    int t = 63 - __builtin_clzll(mask);
    return statevec_circuit_add(c, SVG_Z, t, mask & ~((uint64_t)1 << t), 0);
}

static int mask_to_list(uint64_t m, int *q)
{
    int n = 0;
    while (m) {
        q[n++] = __builtin_ctzll(m);
        m &= m - 1;
    }
    return n;
}

int statevec_apply_gate(statevec *sv, const statevec_gate *g)
{
    int ctl[64], nc = mask_to_list(g->cmask, ctl), t = g->target;
    if (t < 0 || t >= sv->n)
        return NQ_EINVAL;
    uint64_t tb = (uint64_t)1 << t;
    double c = cos(g->theta / 2), s = sin(g->theta / 2);
    const double r = M_SQRT1_2;
    switch ((statevec_gate_kind)g->kind) {
    case SVG_X: return statevec_mcx(sv, ctl, nc, t);
    case SVG_Z: return statevec_phase_mask(sv, g->cmask | tb, M_PI);
    case SVG_S: return statevec_phase_mask(sv, g->cmask | tb, M_PI / 2);
    case SVG_SDG: return statevec_phase_mask(sv, g->cmask | tb, -M_PI / 2);
    case SVG_T: return statevec_phase_mask(sv, g->cmask | tb, M_PI / 4);
    case SVG_TDG: return statevec_phase_mask(sv, g->cmask | tb, -M_PI / 4);
    case SVG_H: {
        const double m[8] = {r, 0, r, 0, r, 0, -r, 0};
        return statevec_apply1_ctrl(sv, ctl, nc, t, m);
    }
    case SVG_Y: {
        const double m[8] = {0, 0, 0, -1, 0, 1, 0, 0};
        return statevec_apply1_ctrl(sv, ctl, nc, t, m);
    }
    case SVG_RX: {
        const double m[8] = {c, 0, 0, -s, 0, -s, c, 0};
        return statevec_apply1_ctrl(sv, ctl, nc, t, m);
    }
    case SVG_RY: {
        const double m[8] = {c, 0, -s, 0, s, 0, c, 0};
        return statevec_apply1_ctrl(sv, ctl, nc, t, m);
    }
    case SVG_RZ: {
        const double m[8] = {c, -s, 0, 0, 0, 0, c, s};
        return statevec_apply1_ctrl(sv, ctl, nc, t, m);
    }
    default: return NQ_EINVAL;
    }
}

int statevec_circuit_run(const statevec_circuit *c, statevec *sv)
{
    if (c->n != sv->n)
        return NQ_EINVAL;
    for (size_t i = 0; i < c->ngates; i++) {
        int rc = statevec_apply_gate(sv, &c->gates[i]);
        if (rc)
            return rc;
    }
    return 0;
}
