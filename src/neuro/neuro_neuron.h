/*
 * neuro_neuron.h — single spiking neurons: leaky integrate-and-fire and Izhikevich (2003).
 *
 * Both are plain state structs advanced by a step function; the caller owns the memory, the
 * clock and the inputs (buffers in, results out, no I/O). docs/neuromorphic.md, "Spiking
 * neurons and synapses", gives the equations and the published results the tests check.
 *
 * Leaky integrate-and-fire, membrane potential V in mV, time in ms:
 *
 *     tau_m dV/dt = (v_rest - V) + R I + sum_k g_k (E_k - V)
 *
 * with I an injected current (nA, R in MOhm so R I is in mV) and g_k synaptic conductances in
 * units of the leak conductance with reversal potentials E_k. While the inputs are constant
 * the equation is linear with the fixed point V_inf = (v_rest + R I + sum g_k E_k) / (1 + g)
 * and time constant tau_m / (1 + g), g = sum g_k, so neuro_lif_step integrates it exactly
 * (V_inf + (V - V_inf) e^{-dt/tau}) and finds the threshold crossing inside the step in
 * closed form: the spike times carry no discretisation error for inputs that are constant
 * over each step, which is what lets the test compare the interspike interval with
 *
 *     T = t_ref + tau_m ln((V_inf - v_reset) / (V_inf - v_th))      (V_inf > v_th)
 *
 * to rounding. After a spike V is held at v_reset for t_ref ms (absolute refractory period).
 *
 * Izhikevich (2003), "Simple model of spiking neurons", IEEE Trans. Neural Networks 14:1569:
 *
 *     v' = 0.04 v^2 + 5 v + 140 - u + I,   u' = a (b v - u),   v >= 30 mV: v <- c, u <- u + d
 *
 * advanced in 1 ms steps in the update order of the Rust version this project replaces
 * (upstream-algorithms.md 7.5), which is also Izhikevich's published MATLAB order: first the
 * spike check on the state reached by the previous step (a spike is reported at the time of
 * the start of this step and the state is reset), then two Euler half-steps of 0.5 ms for v
 * with the same u and I, then one Euler step for u with the new v. Initial state v = c,
 * u = b c. With I = 10 for 1000 steps the regular-spiking cell fires 20 spikes, the first at
 * 4, 31, 79, 141 and 195 ms (test_izhikevich.c checks this and the counts of all types).
 */
#ifndef NQ_NEURO_NEURON_H
#define NQ_NEURO_NEURON_H

#include <stddef.h>

/* ---- leaky integrate-and-fire ---- */

typedef struct neuro_lif_params {
    double tau_m;   /* membrane time constant, ms (> 0) */
    double r_m;     /* membrane resistance, MOhm: R I in mV for I in nA */
    double v_rest;  /* resting potential, mV */
    double v_reset; /* potential after a spike, mV (< v_th) */
    double v_th;    /* threshold, mV */
    double t_ref;   /* absolute refractory period, ms (>= 0) */
} neuro_lif_params;

typedef struct neuro_lif {
    double v;       /* membrane potential, mV */
    double ref_left; /* refractory time still to serve, ms */
} neuro_lif;

/* tau_m 20 ms, R 10 MOhm, v_rest = v_reset = -70 mV, v_th = -54 mV, t_ref 2 ms. */
void neuro_lif_default(neuro_lif_params *p);
/* 0, or -1 when a field is out of range (tau_m <= 0, v_reset >= v_th, t_ref < 0, not finite). */
int neuro_lif_check(const neuro_lif_params *p);
/* V = v_rest, not refractory. */
void neuro_lif_init(neuro_lif *n, const neuro_lif_params *p);

/* Advance by dt ms with the current i (nA) and the conductances constant over the step: g is
 * sum g_k, g_e is sum g_k E_k (both 0 without synapses; g >= 0). Returns the number of spikes
 * in the step (more than one only when dt exceeds an interspike interval; the later ones are
 * one interval apart and counted in closed form, so a step costs O(1); the count saturates
 * near INT_MAX / 2); *first_spike (may be NULL) receives the time of the first one from the
 * start of the step, in ms. */
int neuro_lif_step(neuro_lif *n, const neuro_lif_params *p, double i, double g, double g_e,
                   double dt, double *first_spike);

/* The interspike interval under a constant current i from the formula above; INFINITY when
 * V_inf <= v_th (the neuron never fires). */
double neuro_lif_isi(const neuro_lif_params *p, double i);

/* ---- Izhikevich ---- */

typedef enum neuro_izh_type {
    NEURO_IZH_RS,  /* regular spiking     (0.02, 0.2,  -65, 8) */
    NEURO_IZH_IB,  /* intrinsic bursting  (0.02, 0.2,  -55, 4) */
    NEURO_IZH_CH,  /* chattering          (0.02, 0.2,  -50, 2) */
    NEURO_IZH_FS,  /* fast spiking        (0.1,  0.2,  -65, 2) */
    NEURO_IZH_TC,  /* thalamo-cortical    (0.02, 0.25, -65, 0.05) */
    NEURO_IZH_RZ,  /* resonator           (0.1,  0.26, -65, 2) */
    NEURO_IZH_LTS, /* low-threshold spiking (0.02, 0.25, -65, 2) */
    NEURO_IZH_NTYPES
} neuro_izh_type;

typedef struct neuro_izh_params {
    double a, b, c, d;
} neuro_izh_params;

typedef struct neuro_izh {
    double v, u;
} neuro_izh;

/* The published (a, b, c, d) of a type; 0, or -1 for an unknown type. */
int neuro_izh_params_of(neuro_izh_type t, neuro_izh_params *p);
/* "RS", "IB", ... ; NULL for an unknown type. */
const char *neuro_izh_type_name(neuro_izh_type t);
/* Parse a name (case-insensitive); 0, or -1 when it is none of the types. */
int neuro_izh_type_parse(const char *s, neuro_izh_type *t);

/* v = c, u = b c. */
void neuro_izh_init(neuro_izh *n, const neuro_izh_params *p);
/* One 1 ms step with the total input current i (injected + synaptic), in the order described
 * above. Returns 1 when the neuron spiked at the start of this step (and was reset), else 0. */
int neuro_izh_step(neuro_izh *n, const neuro_izh_params *p, double i);
/* The same step with conductance input: the current is i + g_e - g v, g = sum g_k and
 * g_e = sum g_k E_k, with v the potential after the spike check (a pending spike resets v
 * first, so the synaptic current sees the reset potential, not the peak), held over both
 * half-steps. */
int neuro_izh_step_cond(neuro_izh *n, const neuro_izh_params *p, double i, double g, double g_e);

#endif
