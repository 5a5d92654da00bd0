#!/bin/sh
# quantum_sim_cmds.sh NQDB... — `nqdb quantum grover` and `nqdb quantum tfim` end to end:
# Grover's iteration count and success probability against the exact sin^2((2k+1) theta)
# (N = 16, one marked: k = 3, P = 0.9613189697265625), seeded shots that repeat, the OpenQASM 3
# file (header, qubit declaration, gate count), --json; TFIM energies against the published
# exact values (N = 4, J = 1, h = 0.5: -4.2715584101; N = 8, J = h = 1: -10.251661791) and the
# closed form; --method sqa (path-integral Monte Carlo) at N = 64, J = h = 1 within 1 % of the
# closed form, with its error bar, the Trotterized closed form and the same numbers for the same
# seed; bad usage, out-of-range marks and a memory budget that is too small all exit 2 with a
# message.
set -u
. "$(dirname "$0")/lib.sh"
cli_setup qsim
NQ="$*"


run $NQ quantum grover --help
expect_rc "grover --help" 0
expect_out "grover help names the formula" "floor(pi / (4 theta))"
run $NQ quantum tfim --help
expect_rc "tfim --help" 0
expect_out "tfim help describes sqa" "method sqa.*path-integral Monte Carlo"

run $NQ quantum grover --qubits 4 --marked 5
expect_rc "grover 4 qubits" 0
expect_out "grover iterations" "^iterations: 3 "
expect_out "grover success" "^success probability: 0.961318969727 (exact sin^2((2k+1) theta) = 0.961318969727)"

run $NQ quantum grover --qubits 4 --marked 5 --shots 1000 --seed 9 --json
expect_rc "grover json" 0
expect_out "json iterations" '"iterations":3,'
expect_out "json probability" '"success_probability":0.961318969726562'
expect_out "json shots" '"shots":1000,"seed":9'
cp "$T/out" "$T/first"
run $NQ quantum grover --qubits 4 --marked 5 --shots 1000 --seed 9 --json
sed 's/"time_ms".*//' "$T/out" >"$T/a"; sed 's/"time_ms".*//' "$T/first" >"$T/b"
cmp -s "$T/a" "$T/b" && ok "same seed, same counts" || bad "same seed, same counts" "$(cat "$T/a" "$T/b")"

run $NQ quantum grover --qubits 3 --marked 1,6,6 --qasm "$T/g.qasm"
expect_rc "grover qasm" 0
expect_out "duplicates count once" "^marked: 2 states"
# 3 H + k = 1 iteration: marks 001 (2 X, MCZ, 2 X) and 110 (1 X, MCZ, 1 X), diffusion 4*3 + 1: 24
expect_out "qasm gate count" "(24 gates, OpenQASM 3)"
[ "$(head -1 "$T/g.qasm")" = "OPENQASM 3.0;" ] && ok "qasm header" || bad "qasm header" "$(head -3 "$T/g.qasm")"
grep -q '^qubit\[3\] q;$' "$T/g.qasm" && ok "qasm qubits" || bad "qasm qubits" "no qubit[3] q;"
[ "$(grep -c '^ctrl(2) @ z q\[0\], q\[1\], q\[2\];$' "$T/g.qasm")" = 3 ] && ok "qasm mcz" || bad "qasm mcz" "expected 3 ctrl(2) @ z"
grep -q '^c = measure q;$' "$T/g.qasm" && ok "qasm measure" || bad "qasm measure" "no measurement"

# past the optimum the probability falls again: N = 8, k = 5, sin^2(11 asin(1/sqrt 8)) =
# 0.5479736328125 exactly, a tie at 12 decimals (either rounding is accepted)
run $NQ quantum grover --qubits 3 --marked 1 --iterations 5
expect_out "given iterations" "^iterations: 5 (given)"
expect_out "given iterations probability" "^success probability: 0.54797363281[23] "
run $NQ quantum grover --qubits 3 --marked 1 --iterations 99999999999
expect_rc "too many iterations" 2

run $NQ quantum grover --qubits 3 --marked 8
expect_rc "marked out of range" 2
expect_err "marked out of range message" "out of range for 3 qubits"
run $NQ quantum grover --qubits 24 --marked 1 --max-memory 16
expect_rc "over budget" 2
expect_err "over budget message" "over the memory budget"
run $NQ quantum grover --qubits 3
expect_rc "grover without --marked" 2
run $NQ quantum grover --qubits 3 --marked 1 --shots x
expect_rc "grover bad shots" 2

run $NQ quantum tfim --spins 4 --J 1 --h 0.5
expect_rc "tfim 4" 0
expect_out "tfim N=4 energy" "^ground-state energy: -4.27155841014"
run $NQ quantum tfim --spins 8 --J 1 --h 1 --json
expect_rc "tfim 8 json" 0
expect_out "tfim N=8 energy" '"energy":-10.25166179096'
expect_out "tfim N=8 formula" '"formula":-10.25166179096'
expect_out "tfim converged" '"converged":true'
run $NQ quantum tfim --spins 5 --J 2 --h 0 --boundary open
expect_out "tfim open h=0" "^ground-state energy: -8.000000000000 "
# path-integral Monte Carlo: N = 64 at the critical point, shorter than the defaults
sqa="--method sqa --beta 8 --slices 160 --sweeps 400 --anneal-sweeps 100 --equilibrate 50"
run $NQ quantum tfim --spins 64 --J 1 --h 1 $sqa --seed 5 --json
expect_rc "tfim sqa" 0
expect_out "tfim sqa method" '"method":"sqa"'
expect_out "tfim sqa closed form" '"formula":-81.49551266892'
expect_out "tfim sqa Trotterized closed form" '"trotter_formula":-81.63107'
rel=$(sed -n 's/.*"relative_error":\([^,}]*\).*/\1/p' "$T/out")
err=$(sed -n 's/.*"error":\([^,}]*\).*/\1/p' "$T/out")
awk -v r="${rel:-9}" -v e="${err:-9}" 'BEGIN { exit !(r < 0.01 && r > -0.01 && e > 0 && e < 0.3) }' \
  && ok "tfim sqa within 1 % (relative error $rel, error bar $err)" \
  || bad "tfim sqa within 1 %" "relative error ${rel:-none}, error bar ${err:-none}"
cp "$T/out" "$T/sqa1"
run $NQ quantum tfim --spins 64 --J 1 --h 1 $sqa --seed 5 --json
e1=$(sed -n 's/.*"energy":\([^,]*\),.*/\1/p' "$T/sqa1")
expect_out "tfim sqa same seed, same energy" "\"energy\":$e1,"
run $NQ quantum tfim --spins 10 --J 1 --h 0.5 --boundary open $sqa --schedule polynomial --power 3
expect_rc "tfim sqa open" 0
expect_out "tfim sqa text (Lanczos: -9.7655)" "^ground-state energy (estimate): -9\\.7[0-9]* +- "
expect_out "tfim sqa schedule" "^annealing: 100 sweeps, polynomial schedule"
# Richardson extrapolation from 80 and 160 slices (the coarse run alone is 2.6 % low)
run $NQ quantum tfim --spins 16 --J 1 --h 1 --method sqa --beta 16 --slices 80 --sweeps 400 \
  --anneal-sweeps 100 --equilibrate 50 --extrapolate --json
expect_rc "tfim sqa extrapolate" 0
expect_out "tfim sqa extrapolated" '"extrapolated":true,"coarse":{"slices":80,'
expect_out "tfim sqa extrapolated fine run" '"fine":{"slices":160,'
rel=$(sed -n 's/.*"relative_error":\([^,}]*\).*/\1/p' "$T/out")
awk -v r="${rel:-9}" 'BEGIN { exit !(r < 0.01 && r > -0.01) }' \
  && ok "tfim sqa extrapolated within 1 % (relative error $rel)" \
  || bad "tfim sqa extrapolated within 1 %" "relative error ${rel:-none}"
run $NQ quantum tfim --spins 8 --J 1 --h 0 --method sqa
expect_rc "tfim sqa h = 0" 2
expect_err "tfim sqa h = 0 message" "needs h != 0"
run $NQ quantum tfim --spins 8 --J 1 --h 1 --slices 8
expect_rc "tfim sqa option with exact" 2
expect_err "tfim sqa option with exact message" "applies to --method sqa only"
run $NQ quantum tfim --spins 8 --J 1 --h 1 --method sqa --schedule cubic
expect_rc "tfim bad schedule" 2
run $NQ quantum tfim --spins 4000 --J 1 --h 1 --method sqa --max-memory 1
expect_rc "tfim sqa over budget" 2
expect_err "tfim sqa over budget message" "over the memory budget"
run $NQ quantum tfim --spins 26 --J 1 --h 1
expect_rc "tfim over budget" 2
expect_err "tfim over budget message" "over the memory budget"
run $NQ quantum tfim --spins 4 --J 1
expect_rc "tfim without --h" 2
run $NQ quantum tfim --spins 4 --J 1 --h 1 --boundary twisted
expect_rc "tfim bad boundary" 2

cli_finish
