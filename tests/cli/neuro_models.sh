#!/bin/sh
# neuro_models.sh NQDB... — `nqdb neuro izhikevich|lif|stdp|oja|bcm|hopfield` end to end:
# --help of each; the reference result RS I = 10 for 1000 ms = 20 spikes starting
# 4 31 79 141 195 (text and JSON) and the other types' counts; LIF's simulated interspike
# interval equal to the analytic one; the STDP window equal to the formula (online = formula
# at every dt of the table); Oja's cosine >= 0.999; BCM selective; Hopfield recall near
# perfect below capacity and clearly worse above it (same seed, same numbers); bad usage and
# bad numbers exit 2 with a message naming the option.
set -u
. "$(dirname "$0")/lib.sh"
cli_setup neuromodels
NQ="$*"

for c in izhikevich lif stdp oja bcm hopfield; do
  run $NQ neuro $c --help
  expect_rc "$c --help" 0
  expect_out "$c --help usage" "usage: nqdb neuro $c"
done

run $NQ neuro izhikevich --type RS --current 10 --ms 1000
expect_rc "izhikevich RS" 0
expect_out "RS 20 spikes" "^spikes: 20 (20.00 Hz)$"
expect_out "RS first spikes" "^spike times (ms): 4 31 79 141 195 243 "
run $NQ neuro izhikevich --type RS --current 10 --ms 1000 --json
expect_rc "izhikevich RS json" 0
expect_out "RS json" '"spikes":20,.*"spike_times_ms":\[4,31,79,141,195,243,'
for tc in IB:27 CH:41 FS:63 TC:67 RZ:80 LTS:44; do
  run $NQ neuro izhikevich --type "${tc%%:*}" --json
  expect_out "izhikevich ${tc%%:*} count" "\"spikes\":${tc#*:},"
done
run $NQ neuro izhikevich --type XY
expect_rc "izhikevich bad type" 2
expect_err "bad type message" "unknown type \"XY\""
run $NQ neuro izhikevich --ms 0
expect_rc "izhikevich --ms 0" 2
expect_err "--ms range message" "\-\-ms: 0 out of range"
run $NQ neuro izhikevich --current abc
expect_rc "izhikevich bad current" 2
expect_err "bad current message" "\-\-current: not a number"
run $NQ neuro izhikevich --current
expect_rc "izhikevich missing value" 2
expect_err "missing value message" "needs a value"
run $NQ neuro izhikevich --frob
expect_rc "izhikevich unknown option" 2

run $NQ neuro lif --current 2 --ms 1000 --json
expect_rc "lif" 0
# analytic T = 2 + 20 ln(20 / 4) = 34.18875824868201 ms; the first spike at 20 ln 5 = 32.188758...
expect_out "lif analytic isi" '"isi_analytic_ms":34.18875824868'
expect_out "lif simulated isi" '"isi_simulated_ms":34.18875824868'
expect_out "lif first spike" '"spike_times_ms":\[32.1887582487,'
run $NQ neuro lif --current 1 --ms 100
expect_rc "lif subthreshold" 0
expect_out "lif no spikes" "^spikes: 0$"
run $NQ neuro lif --v-reset -50
expect_rc "lif reset above threshold" 2
expect_err "lif reset message" "must be below --v-th"

run $NQ neuro stdp
expect_rc "stdp table" 0
expect_out "stdp +10 ms" "^ *10  3.032653299e-03  3.032653299e-03 "
expect_out "stdp -10 ms" "^ *-10 -3.184285963e-03 -3.184285963e-03 "
if awk 'NR > 2 && $4 != 0 { bad = 1 } END { exit bad }' "$T/out"; then ok "stdp online = formula"
else bad "stdp online = formula" "$(cat "$T/out")"; fi
run $NQ neuro stdp --dt 0 --json
expect_out "stdp dt 0" '"dw_online":0,"dw_formula":0'
run $NQ neuro stdp --w 2
expect_rc "stdp w above w_max" 2

run $NQ neuro oja --json
expect_rc "oja" 0
if awk -F'"cosine":' '{ split($2, a, ","); exit !(a[1] >= 0.999) }' "$T/out"; then
  ok "oja cosine >= 0.999"
else bad "oja cosine >= 0.999" "$(cat "$T/out")"; fi
run $NQ neuro oja --dim 1
expect_rc "oja bad dim" 2

run $NQ neuro bcm --json
expect_rc "bcm" 0
if awk -F'"selectivity":' '{ split($2, a, ","); exit !(a[1] >= 0.9) }' "$T/out"; then
  ok "bcm selective"
else bad "bcm selective" "$(cat "$T/out")"; fi

run $NQ neuro hopfield --n 200 --patterns 10 --noise 0.1 --seed 3 --json
expect_rc "hopfield below" 0
expect_out "hopfield P=10 perfect" '"recall_rate":1,'
run $NQ neuro hopfield --n 200 --patterns 50 --noise 0.1 --seed 3 --json
expect_rc "hopfield above" 0
if awk -F'"recall_rate":' '{ split($2, a, ","); exit !(a[1] < 0.9) }' "$T/out"; then
  ok "hopfield P=50 degrades"
else bad "hopfield P=50 degrades" "$(cat "$T/out")"; fi
cp "$T/out" "$T/first"
run $NQ neuro hopfield --n 200 --patterns 50 --noise 0.1 --seed 3 --json
if cmp -s "$T/out" "$T/first"; then ok "hopfield deterministic"
else bad "hopfield deterministic" "two runs differ"; fi
run $NQ neuro hopfield --patterns 20 --sync
expect_rc "hopfield sync" 0
expect_out "hopfield sync text" "synchronous updates"
run $NQ neuro hopfield --noise 1.5
expect_rc "hopfield bad noise" 2
expect_err "hopfield noise message" "\-\-noise: 1.5 out of range"
run $NQ neuro hopfield --n 5000
expect_rc "hopfield too big" 2

cli_finish
