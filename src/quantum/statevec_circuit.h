/*
 * statevec_circuit.h — a recorded list of gates: what the simulator can replay and what
 * qasm.c writes out as OpenQASM 3.
 *
 * A gate is (kind, target, angle, control mask): controls are a bit mask over qubits, so any
 * gate can carry any number of controls (n <= 64) in 24 bytes. A multi-controlled Z is stored
 * as Z on one of its qubits controlled by the others (it is symmetric, so which one is the
 * target does not matter). The gate list grows by doubling; the circuit owns it.
 */
#ifndef NQ_QUANTUM_STATEVEC_CIRCUIT_H
#define NQ_QUANTUM_STATEVEC_CIRCUIT_H

#include <stddef.h>
#include <stdint.h>

#include "statevec.h"

typedef enum statevec_gate_kind {
    SVG_H, SVG_X, SVG_Y, SVG_Z, SVG_S, SVG_SDG, SVG_T, SVG_TDG, SVG_RX, SVG_RY, SVG_RZ,
    SVG_KIND_COUNT
} statevec_gate_kind;

typedef struct statevec_gate {
    uint8_t kind;     /* statevec_gate_kind */
    int8_t target;
    double theta;     /* RX/RY/RZ only */
    uint64_t cmask;   /* control qubits (bit q = qubit q); 0 = uncontrolled */
} statevec_gate;

typedef struct statevec_circuit {
    int n;                 /* qubits */
    size_t ngates, cap;
    statevec_gate *gates;  /* owned */
} statevec_circuit;

/* Lower-case OpenQASM name of a kind ("h", "rx", "sdg", ...). */
const char *statevec_gate_name(statevec_gate_kind k);

/* A new empty circuit on n qubits (1..STATEVEC_MAX_QUBITS); caller frees with
 * statevec_circuit_free. */
int statevec_circuit_new(statevec_circuit **out, int n, nq_err *err);
void statevec_circuit_free(statevec_circuit *c);

/* Append a gate; NQ_EINVAL for a bad qubit, a control equal to the target or a mask past n;
 * NQ_ENOMEM. */
int statevec_circuit_add(statevec_circuit *c, statevec_gate_kind k, int target, uint64_t cmask,
                         double theta);
/* Multi-controlled Z over every qubit in mask (at least one). */
int statevec_circuit_mcz(statevec_circuit *c, uint64_t mask);

/* Apply one gate, or the whole circuit, to a state with as many qubits. */
int statevec_apply_gate(statevec *sv, const statevec_gate *g);
int statevec_circuit_run(const statevec_circuit *c, statevec *sv);

#endif
