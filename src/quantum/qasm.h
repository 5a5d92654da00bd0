/*
 * qasm.h — OpenQASM 3 text of a recorded circuit, so a simulated circuit can be run on real
 * hardware or checked by other tools.
 *
 * The text is: the version line, `include "stdgates.inc";`, `qubit[n] q;` (and `bit[n] c;`
 * when measuring), one statement per gate, and `c = measure q;` at the end when asked. Gates
 * use the standard library names (h x y z s sdg t tdg rx ry rz, cx and cz for one control);
 * gates with two or more controls are written with the OpenQASM 3 modifier `ctrl(k) @`, e.g.
 * `ctrl(3) @ z q[0], q[1], q[2], q[3];`, controls first and the target last. Angles are
 * printed with 17 significant digits, so they read back to the same double.
 */
#ifndef NQ_QUANTUM_QASM_H
#define NQ_QUANTUM_QASM_H

#include <stddef.h>

#include "statevec_circuit.h"

/* Write c as OpenQASM 3 into a malloc'd, NUL-terminated string *out (the caller frees it);
 * *len (may be NULL) gets its length. measure: end with a measurement of every qubit. */
int qasm_export(const statevec_circuit *c, int measure, char **out, size_t *len, nq_err *err);

#endif
