#!/bin/sh
# quantum_cmds.sh SHARED_DIR NQDB... — `nqdb quantum` end to end: --help, `quantum qubo` on
# small JSON, Beasley and Gset inputs written here (exact optima known), every solver, --json,
# bad usage and bad input (exit 2, message on stderr), and bqp50-1 from SHARED_DIR/data/qubo
# solved to its proven optimum -2098 (that check is skipped, saying so, without the data).
set -u
SHARED=$1; shift
. "$(dirname "$0")/lib.sh"
cli_setup quantum
NQ="$*"


run $NQ quantum --help
expect_rc "quantum --help" 0
expect_out "help names qubo" "qubo FILE"
expect_out "help names tfim sqa" "tfim .*--method exact|sqa"
run $NQ quantum
expect_rc "quantum without subcommand" 2
# grover and tfim (--method exact and sqa) are tested in quantum_sim_cmds.sh
run $NQ quantum frobnicate
expect_rc "unknown subcommand" 2

# min of -2x0 + 3x0x2 + x1 + 1.5 is -0.5 at x = 100
printf '{"n": 3, "offset": 1.5, "terms": [[0, 0, -2], [0, 2, 3], [1, 1, 1]]}\n' > "$T/m.json"
for s in exact sa pt tabu sqa; do
  run $NQ quantum qubo "$T/m.json" --solver $s --restarts 2 --seed 7
  expect_rc "json $s" 0
  expect_out "json $s energy" "^energy: -0.5$"
  expect_out "json $s solution" "^solution: 100$"
done
run $NQ quantum qubo "$T/m.json" --solver exact --json
expect_out "--json document" '"energy": -0.5, "solution": \[1,0,0\]'

# Beasley form: E = -5x1 + 2*3x1x2 - 4... : min -5 at 100 (1-based lines, off-diagonal doubled)
printf '3 3\n1 1 -5\n1 2 3\n3 3 1\n' > "$T/m.sparse"
run $NQ quantum qubo "$T/m.sparse" --solver exact
expect_out "beasley energy" "^energy: -5$"

# Gset: the 6-cycle cuts all 6 edges
printf '6 6\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 6 1\n6 1 1\n' > "$T/c6.gset"
run $NQ quantum qubo "$T/c6.gset" --format gset --solver exact
expect_out "gset cut" "^cut: 6$"
expect_out "gset energy" "^energy: -6$"
run $NQ quantum qubo "$T/c6.gset" --format gset --json --time-limit 0.1
expect_out "gset json cut" '"cut": 6'

run $NQ quantum qubo "$T/nonexistent"
expect_rc "missing file" 2
expect_err "missing file message" "cannot open"
printf '2 1\n1 5 1\n' > "$T/bad.sparse"
run $NQ quantum qubo "$T/bad.sparse"
expect_rc "bad index" 2
expect_err "bad index message" "line 2"
run $NQ quantum qubo "$T/m.json" --solver quantum-magic
expect_rc "bad solver" 2
run $NQ quantum qubo "$T/m.json" --format xml
expect_rc "bad format" 2
run $NQ quantum qubo "$T/m.json" --time-limit -1
expect_rc "negative time limit" 2

B="$SHARED/data/qubo/beasley/bqp50-1.sparse"
[ -f "$B" ] || B=/tmp/shared/data/qubo/beasley/bqp50-1.sparse
if [ -f "$B" ]; then
  run $NQ quantum qubo "$B" --solver tabu --seed 1 --time-limit 5 --target -2098
  expect_out "bqp50-1 proven optimum" "^energy: -2098$"
else
  echo "skip bqp50-1: not found under $SHARED/data/qubo/beasley or /tmp/shared"
fi

cli_finish
